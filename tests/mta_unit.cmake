# mta_unit - unit tests of the MTA modules (lib/queue, lib/ipc, ...).
if(TARGET queue_test)
    add_test(NAME mta_queue_unit COMMAND queue_test)
    set_tests_properties(mta_queue_unit PROPERTIES TIMEOUT 30)
endif()
if(TARGET maps_test)
    add_test(NAME mta_maps_unit COMMAND maps_test)
    set_tests_properties(mta_maps_unit PROPERTIES TIMEOUT 30)
endif()
