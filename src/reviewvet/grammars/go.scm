; Go: definitions, calls, imports and the declarations that give variables a type.
; Captures follow the tags convention: @name.definition.*, @name.reference.call.

(package_clause (package_identifier) @name.package)

; A blank (_) or dot (.) import is kept with its name, so that it is never taken for the package's own.
(import_spec name: [(package_identifier) (blank_identifier) (dot)]? @import.alias path: (interpreted_string_literal) @import.path)

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

; A function named as a value, not called: an argument, a composite literal's element, the
; right-hand side of an assignment, a returned value.
(argument_list [(identifier) (selector_expression)] @reference.value)
(literal_value (literal_element [(identifier) (selector_expression)] @reference.value))
(keyed_element value: (literal_element [(identifier) (selector_expression)] @reference.value))
(short_var_declaration right: (expression_list [(identifier) (selector_expression)] @reference.value))
(assignment_statement right: (expression_list [(identifier) (selector_expression)] @reference.value))
(var_spec value: (expression_list [(identifier) (selector_expression)] @reference.value))
(return_statement (expression_list [(identifier) (selector_expression)] @reference.value))

; Names a function declares (parameters, :=, range, type switch, var): never package-level names.
(parameter_declaration name: (identifier) @local.name)
(variadic_parameter_declaration name: (identifier) @local.name)
(short_var_declaration left: (expression_list (identifier) @local.name))
(range_clause left: (expression_list (identifier) @local.name))
(type_switch_statement alias: (expression_list (identifier) @local.name))
(var_spec name: (identifier) @local.name)
(const_spec name: (identifier) @local.name)

; What gives a variable its type: a declared type, or the first value it is set to.
(parameter_declaration name: (identifier) @typed.name type: (_) @typed.type)
(var_spec name: (identifier) @typed.name type: (_) @typed.type)
(var_spec . name: (identifier) @typed.name value: (expression_list . (_) @typed.value))
(short_var_declaration
  left: (expression_list . (identifier) @typed.name)
  right: (expression_list . (_) @typed.value))
(range_clause left: (expression_list (identifier) . (identifier) @typed.name) right: (_) @typed.range)

; Struct fields, and the methods an interface declares (for their result types).
(type_spec name: (type_identifier) @field.owner type: (struct_type (field_declaration_list (field_declaration) @field.declaration)))
(type_spec name: (type_identifier) @field.owner type: (interface_type [(method_elem) (type_elem)] @field.declaration))
