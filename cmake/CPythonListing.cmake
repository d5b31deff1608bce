# cmake -DROOT=dir -DHEADER=text -DOUT=path -P CPythonListing.cmake
# Writes the files of a relocatable CPython that sandboxes need, with their
# SHA-256, as the jar's bundled-CPython list: the libpython at ROOT, and its
# standard library without the parts no sandbox or embedder uses (tests,
# IDLE, ensurepip, site-packages, cached bytecode).  The Java side extracts
# exactly these files and checks each against its hash.
file(GLOB _objcap_lib RELATIVE "${ROOT}" "${ROOT}/libpython3.*.so.1.0")
file(GLOB_RECURSE _objcap_files RELATIVE "${ROOT}" "${ROOT}/lib/python3.*/*")
list(FILTER _objcap_files EXCLUDE REGEX
     "^lib/python3\\.[0-9]+/(test|idlelib|ensurepip|site-packages|turtledemo)/")
list(FILTER _objcap_files EXCLUDE REGEX "/__pycache__/")
list(APPEND _objcap_lib ${_objcap_files})
list(SORT _objcap_lib)
list(LENGTH _objcap_lib _objcap_count)
if(_objcap_count LESS 100)
  message(FATAL_ERROR "no CPython standard library under ${ROOT}")
endif()
set(_objcap_text "# ${HEADER}\n")
foreach(_objcap_file IN LISTS _objcap_lib)
  if(NOT _objcap_file MATCHES "^[A-Za-z0-9_./+@-]+$" OR _objcap_file MATCHES "\\.\\.")
    message(FATAL_ERROR "a file name the jar's list cannot carry: ${_objcap_file}")
  endif()
  file(SHA256 "${ROOT}/${_objcap_file}" _objcap_hash)
  string(APPEND _objcap_text "${_objcap_hash}  ${_objcap_file}\n")
endforeach()
file(WRITE "${OUT}" "${_objcap_text}")
