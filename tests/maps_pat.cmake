# maps_pat - regexp: and pcre: tables against Postfix's own test data
# (src/util/dict_regexp, dict_pcre, miss_endif_*: testdata/maps), byte
# for byte: lookups and the warnings with their line numbers.
add_executable(maps_pat_driver ${CMAKE_CURRENT_LIST_DIR}/maps_pat_driver.c)
target_link_libraries(maps_pat_driver PRIVATE maps maillog util)
target_compile_options(maps_pat_driver PRIVATE ${POSTERN_WARNINGS})

# as Postfix's Makefile.in: ./dict_open TYPE:MAP read <x.in >x.tmp 2>&1;
# the warnings of our log ("prog: warning: ...") in dict_open's form
set(MAPS_PAT_SH [=[
drv=$1 type=$2 map=$3 in=$4 ref=$5 out=$6
cd "$(dirname "$map")" || exit 1
"$drv" "$type" "$(basename "$map")" <"$in" 2>&1 |
    sed -E 's/^.*warning: /.\/dict_open: warning: /' >"$out"
diff -u "$ref" "$out"
]=])
set(_md ${PROJECT_SOURCE_DIR}/testdata/maps)
foreach(case IN ITEMS dict_regexp:regexp:dict_regexp:dict_regexp
                      dict_pcre:pcre:dict_pcre:dict_pcre
                      miss_endif_regexp:regexp:miss_endif_re:miss_endif_regexp
                      miss_endif_pcre:pcre:miss_endif_re:miss_endif_pcre)
    string(REPLACE ":" ";" parts ${case})
    list(GET parts 0 name)
    list(GET parts 1 type)
    list(GET parts 2 map)
    list(GET parts 3 ref)
    if(name MATCHES "^miss")
        set(_in ${_md}/miss_endif.in)
    else()
        set(_in ${_md}/${map}.in)
    endif()
    postern_test(NAME maps_pat_${name} LABELS unit
                 COMMAND sh -c "${MAPS_PAT_SH}" sh
                         $<TARGET_FILE:maps_pat_driver> ${type}
                         ${_md}/${map}.map ${_in} ${_md}/${ref}.ref
                         ${CMAKE_CURRENT_BINARY_DIR}/maps_pat_${name}.out)
endforeach()
