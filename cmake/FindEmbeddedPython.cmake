# Asks OBJCAP_PYTHON itself where its headers, embedding library and
# standard library are, so that a rebuilt CPython works the same way.
execute_process(
  COMMAND "${OBJCAP_PYTHON}" -I -S -c [=[
import os, sys, sysconfig as s
v = s.get_config_var
# sysconfig keeps the paths of the machine a relocated CPython was built
# on (the org.bytedeco:cpython jar's is one): ask the files, not only it.
def first(*paths):
    for p in paths:
        if p and os.path.exists(p):
            return p
    return paths[0]
so = v('INSTSONAME') or v('LDLIBRARY')
stdlib = s.get_path('stdlib')
print(s.get_path('include'))
print(first(*[os.path.join(d, so) for d in
              (v('LIBDIR'), os.path.join(sys.base_prefix, 'lib'),
               sys.base_prefix) if d]))
print(stdlib)
print(s.get_path('platstdlib'))
print(first(v('DESTSHARED'), os.path.join(s.get_path('platstdlib'), 'lib-dynload')))
print(so)
print(v('VERSION'))
print(sys.version.split()[0])
]=]
  OUTPUT_VARIABLE _objcap_py_out
  RESULT_VARIABLE _objcap_py_rc
  OUTPUT_STRIP_TRAILING_WHITESPACE)
if(NOT _objcap_py_rc EQUAL 0)
  message(FATAL_ERROR "cannot run ${OBJCAP_PYTHON}; set -DOBJCAP_PYTHON=/path/to/python3.X")
endif()
string(REPLACE "\n" ";" _objcap_py_lines "${_objcap_py_out}")
list(GET _objcap_py_lines 0 OBJCAP_PYTHON_INCLUDE)
list(GET _objcap_py_lines 1 OBJCAP_PYTHON_LIBRARY)
list(GET _objcap_py_lines 2 OBJCAP_PYTHON_STDLIB)
list(GET _objcap_py_lines 3 OBJCAP_PYTHON_PLATSTDLIB)
list(GET _objcap_py_lines 4 OBJCAP_PYTHON_DYNLOAD)
list(GET _objcap_py_lines 5 OBJCAP_PYTHON_SONAME)
list(GET _objcap_py_lines 6 OBJCAP_PYTHON_VERSION)
list(GET _objcap_py_lines 7 OBJCAP_PYTHON_FULL_VERSION)
if(NOT EXISTS "${OBJCAP_PYTHON_INCLUDE}/Python.h")
  message(FATAL_ERROR "no Python.h for ${OBJCAP_PYTHON}: apt-get install libpython${OBJCAP_PYTHON_VERSION}-dev")
endif()
if(NOT EXISTS "${OBJCAP_PYTHON_LIBRARY}")
  message(FATAL_ERROR "no shared libpython at ${OBJCAP_PYTHON_LIBRARY}")
endif()
if(OBJCAP_PYTHON_VERSION VERSION_LESS 3.11 OR OBJCAP_PYTHON_VERSION VERSION_GREATER 3.14)
  message(FATAL_ERROR "objcap supports CPython 3.11 to 3.14, not ${OBJCAP_PYTHON_VERSION}")
endif()
message(STATUS "objcap: CPython ${OBJCAP_PYTHON_VERSION} from ${OBJCAP_PYTHON_LIBRARY}")
