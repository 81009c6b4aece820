# maps_files - issue 20: hash, btree, lmdb and cdb files in Postfix's own
# formats, postmap/postalias/newaliases against the real Postfix programs
# on the same inputs (tests/maps_files.sh)
foreach(case formats options update alias missing atomic)
    postern_test(NAME maps_files_${case} LABELS cli maps SKIPPABLE
                 COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/maps_files.sh
                         $<TARGET_FILE:postern> ${case})
endforeach()
# a daemon reading a hash: table built by Postfix's postalias
postern_test(NAME mta_maps_db LABELS mta maps SKIPPABLE
             COMMAND bash ${CMAKE_CURRENT_LIST_DIR}/mta_maps_db.sh
                     $<TARGET_FILE:postern>)
