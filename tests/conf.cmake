# conf - unit tests of the lossless main.cf/master.cf model (lib/config/conf):
# round trip of every testdata/corpus file, readllines() grouping checked
# against a transcription of Postfix's, name/value and master.cf fields
# with positions, and the Postfix text primitives.
set(CONF_TEST_DIR ${PROJECT_SOURCE_DIR}/lib/config/conf)
add_executable(conf_test ${CONF_TEST_DIR}/conf_test.c
               ${CONF_TEST_DIR}/conf_test_ref.c ${CONF_TEST_DIR}/conf_test_group.c
               ${CONF_TEST_DIR}/conf_test_fields.c ${CONF_TEST_DIR}/conf_test_edit.c)
target_link_libraries(conf_test PRIVATE conf util PkgConfig::CMOCKA)
target_compile_options(conf_test PRIVATE ${POSTERN_WARNINGS})
target_compile_definitions(conf_test PRIVATE
    CONF_TESTDATA="${PROJECT_SOURCE_DIR}/testdata")
add_test(NAME conf_unit COMMAND conf_test)
set_tests_properties(conf_unit PROPERTIES LABELS "unit;conf")
