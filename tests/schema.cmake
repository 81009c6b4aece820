# schema - the parameter schema: unit tests against postconf's own output
# (schema_test, built in lib/config/schema), and schemagen's diagnostics
# on broken YAML (testdata/schema/bad/).
postern_test(NAME schema_unit LABELS unit schema COMMAND schema_test)

get_filename_component(SCHEMA_BAD_DIR
    ${CMAKE_CURRENT_LIST_DIR}/../testdata/schema/bad ABSOLUTE)
# Each bad/<case>.yaml must fail with the diagnostic in bad/<case>.want
# (one regular expression per file).
file(GLOB SCHEMA_BAD_CASES CONFIGURE_DEPENDS ${SCHEMA_BAD_DIR}/*.yaml)
foreach(case ${SCHEMA_BAD_CASES})
    get_filename_component(base ${case} NAME_WE)
    file(READ ${SCHEMA_BAD_DIR}/${base}.want want)
    string(STRIP "${want}" want)
    postern_test(NAME schema_bad_${base} LABELS unit schema
                 COMMAND schemagen ${base}.yaml
                 WORKING_DIRECTORY ${SCHEMA_BAD_DIR})
    set_tests_properties(schema_bad_${base} PROPERTIES
        PASS_REGULAR_EXPRESSION "${want}")
endforeach()

# schema_honoured: schemas/postern.yaml's "honoured" facts and the daemons'
# code agree both ways (a parameter read but not marked, or marked but read
# by no code of that daemon, fails).
postern_test(NAME schema_honoured LABELS unit schema
             COMMAND ${Python3_EXECUTABLE}
                     ${CMAKE_CURRENT_LIST_DIR}/schema_honoured.py
                     ${PROJECT_SOURCE_DIR})

# compatibility_md: docs/COMPATIBILITY.md is what schemagen -m makes from
# the schema; rebuild it with the compatibility_md target after a change.
file(GLOB _compat_yaml CONFIGURE_DEPENDS
     ${PROJECT_SOURCE_DIR}/schemas/*.yaml)
list(SORT _compat_yaml)
postern_test(NAME compatibility_md LABELS unit schema
             COMMAND bash -c "\"$0\" -m \"$1\" \"\${@:3}\" && diff -u \"$2\" \"$1\""
                     $<TARGET_FILE:schemagen>
                     ${CMAKE_CURRENT_BINARY_DIR}/COMPATIBILITY.md
                     ${PROJECT_SOURCE_DIR}/docs/COMPATIBILITY.md
                     ${_compat_yaml})
add_custom_target(compatibility_md
    COMMAND schemagen -m ${PROJECT_SOURCE_DIR}/docs/COMPATIBILITY.md
            ${_compat_yaml}
    DEPENDS schemagen ${_compat_yaml}
    COMMENT "Regenerating docs/COMPATIBILITY.md from schemas/*.yaml"
    VERBATIM)
