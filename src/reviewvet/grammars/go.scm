; Go: definitions, calls, imports and the declarations that give variables a type.
; Captures follow the tags convention: @name.definition.*, @name.reference.call.

(package_clause (package_identifier) @name.package)

(import_spec name: (package_identifier)? @import.alias path: (interpreted_string_literal) @import.path)

(function_declaration name: (identifier) @name.definition.function) @definition.function

(method_declaration
  receiver: (parameter_list) @receiver
  name: (field_identifier) @name.definition.method) @definition.method

(type_spec name: (type_identifier) @name.definition.type) @definition.type
(type_alias name: (type_identifier) @name.definition.type) @definition.type

(source_file (var_declaration (var_spec name: (identifier) @name.definition.var) @definition.var))
(source_file (const_declaration (const_spec name: (identifier) @name.definition.constant) @definition.constant))

(call_expression function: (identifier) @name.reference.call) @reference.call
(call_expression
  function: (selector_expression operand: (_) @reference.qualifier field: (field_identifier) @name.reference.call)) @reference.call

(parameter_declaration name: (identifier) @typed.name type: (_) @typed.type)
(var_spec name: (identifier) @typed.name type: (_) @typed.type)
(short_var_declaration
  left: (expression_list . (identifier) @typed.name)
  right: (expression_list . [(composite_literal type: (_) @typed.type)
                             (unary_expression operand: (composite_literal type: (_) @typed.type))]))
