# cmake -DFILE=path -DOUT=path -P Stage.cmake
# Copies a built engine file (libobjcap.so, objcap-worker) to where the jar
# takes it from, without its RUNPATH, and writes the copy's SHA-256 beside
# it.  The build's RUNPATH names a directory of the build machine (where
# Maven unpacked CPython): on another machine anyone who can create that
# path would have the loader take libc.so.6 from it in every worker, before
# its confinement.  The jar's engines need none: the JVM loads libpython
# by its path first, and spawns the worker with LD_LIBRARY_PATH.
get_filename_component(_objcap_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${_objcap_dir}")
execute_process(COMMAND "${CMAKE_COMMAND}" -E copy "${FILE}" "${OUT}.tmp"
                RESULT_VARIABLE _objcap_copied)
if(NOT _objcap_copied EQUAL 0)
  message(FATAL_ERROR "cannot copy ${FILE} to ${OUT}.tmp")
endif()
file(RPATH_REMOVE FILE "${OUT}.tmp")
file(RENAME "${OUT}.tmp" "${OUT}")
file(SHA256 "${OUT}" _objcap_hash)
file(WRITE "${OUT}.sha256" "${_objcap_hash}\n")
