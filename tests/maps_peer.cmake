# maps_peer - Postfix's own dictionary tests (src/util/Makefile.in of
# Postfix 3.7.11: dict_cidr, miss_endif_cidr, dict_inline*, dict_static,
# dict_union_test, dict_pipe_test, dict_thash; src/postmap's quote_test)
# through maps_peer_driver,
# byte for byte against the .ref files copied into testdata/maps.
add_executable(maps_peer_driver ${CMAKE_CURRENT_LIST_DIR}/maps_peer_driver.c)
target_link_libraries(maps_peer_driver PRIVATE maps maillog util)
target_compile_options(maps_peer_driver PRIVATE ${POSTERN_WARNINGS})

foreach(case IN ITEMS dict_cidr miss_endif_cidr dict_inline_cidr
                      dict_inline_regexp dict_inline_pcre dict_inline
                      dict_static dict_union_test dict_pipe_test dict_thash
                      quote_test)
    postern_test(NAME maps_peer_${case} LABELS unit peer
                 COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/maps_peer.sh
                         $<TARGET_FILE:maps_peer_driver>
                         ${PROJECT_SOURCE_DIR}/testdata/maps
                         ${CMAKE_CURRENT_BINARY_DIR}/maps_peer ${case})
endforeach()

# socketmap: and tcp: against a small real server, and Postfix's postmap
postern_test(NAME maps_peer_net LABELS unit peer SKIPPABLE TIMEOUT 120
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/maps_peer_net.sh
                     $<TARGET_FILE:maps_peer_driver>
                     ${CMAKE_CURRENT_BINARY_DIR}/maps_peer)

# types without a Postfix .ref here (randmap:, fail:, environ:, unions,
# pipelines, in-line cidr:, texthash:): each lookup against postmap -q
postern_test(NAME maps_peer_postmap LABELS unit peer SKIPPABLE
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/maps_peer_postmap.sh
                     $<TARGET_FILE:maps_peer_driver>
                     ${CMAKE_CURRENT_BINARY_DIR}/maps_peer)
