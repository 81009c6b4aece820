# InstallSetgid.cmake - run by "cmake --install" (install(SCRIPT)) after the
# programs are copied: postdrop and postqueue become set-gid
# POSTERN_SETGID_GROUP (main.cf setgid_group), mode 2755, as Postfix's
# post-install makes them. The group must exist already (Debian's postfix
# package makes "postdrop"); when it does not, or when the install does
# not run as root, they are installed without set-gid, with a warning
# saying what to run: local users other than root and mail_owner then
# cannot submit mail, which is the safe side.
#
# Input: POSTERN_SETGID_GROUP, _postern_sbin (set by install(CODE)).
set(_dir "$ENV{DESTDIR}${_postern_sbin}")
execute_process(COMMAND getent group "${POSTERN_SETGID_GROUP}"
                RESULT_VARIABLE _rc OUTPUT_QUIET ERROR_QUIET)
foreach(_p postdrop postqueue)
    set(_f "${_dir}/${_p}")
    if(NOT _rc EQUAL 0)
        message(WARNING "group \"${POSTERN_SETGID_GROUP}\" does not exist: "
                "${_f} installed without set-gid. Create it (groupadd "
                "${POSTERN_SETGID_GROUP}), then: chgrp ${POSTERN_SETGID_GROUP} "
                "${_f} && chmod 2755 ${_f}")
        continue()
    endif()
    # chgrp first: a change of group clears the set-gid bit
    execute_process(COMMAND chgrp "${POSTERN_SETGID_GROUP}" "${_f}"
                    RESULT_VARIABLE _crc ERROR_VARIABLE _err)
    if(NOT _crc EQUAL 0)
        message(WARNING "chgrp ${POSTERN_SETGID_GROUP} ${_f} failed (${_err}): "
                "installed without set-gid; as root: chgrp "
                "${POSTERN_SETGID_GROUP} ${_f} && chmod 2755 ${_f}")
        continue()
    endif()
    file(CHMOD "${_f}" PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE
         GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE SETGID)
    message(STATUS "Set-gid ${POSTERN_SETGID_GROUP}, mode 2755: ${_f}")
endforeach()
