; Shell and BATS (BATS files are rewritten so each @test is a function first).

(function_definition name: (word) @name.definition.function) @definition.function

(command name: (command_name (word) @name.reference.call)) @reference.call
