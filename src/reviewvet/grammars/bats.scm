; BATS: the `@test "title" {` headers that tree-sitter-bash reads as commands.
; reviewvet rewrites each into a same-length function header, then parses with bash.scm.

(command name: (command_name (word) @bats.keyword (#eq? @bats.keyword "@test"))) @bats.test
