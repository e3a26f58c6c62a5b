# fatpack.cmake - CMake toolchain file: C programs linked by `fatpack cc`
# (musl, static, the fatpack runtime), static libraries only, and libraries
# found in and installed into fatpack's library prefix (docs/LIBRARIES.md).
#
#   cmake -S . -B out -DCMAKE_TOOLCHAIN_FILE="$(fatpack cc --print-home)/share/fatpack/fatpack.cmake"
#
# It lies in PREFIX/share/fatpack/ next to PREFIX/bin/fatpack (build/ mirrors
# an installed tree). C only: fatpack cc compiles no C++.

get_filename_component(_fatpack "${CMAKE_CURRENT_LIST_DIR}/../../bin/fatpack"
    ABSOLUTE)
set(CMAKE_C_COMPILER "${_fatpack}")
set(CMAKE_C_COMPILER_ARG1 cc)

execute_process(COMMAND "${_fatpack}" cc --print-prefix
    OUTPUT_VARIABLE FATPACK_PREFIX OUTPUT_STRIP_TRAILING_WHITESPACE
    RESULT_VARIABLE _fatpack_rc)
if(NOT _fatpack_rc EQUAL 0)
    message(FATAL_ERROR "fatpack cc --print-prefix failed (see above)")
endif()

# fatpack cc refuses -shared: a fat program is static.
set(BUILD_SHARED_LIBS OFF CACHE BOOL "fatpack links static programs only")
set(CMAKE_FIND_LIBRARY_SUFFIXES .a)
set(CMAKE_INSTALL_PREFIX "${FATPACK_PREFIX}" CACHE PATH
    "fatpack's library prefix (fatpack cc --print-prefix)")

# Headers, libraries and packages come from the prefix only, never from the
# build machine's glibc ones; programs (tools run during the build) do not.
set(CMAKE_FIND_ROOT_PATH "${FATPACK_PREFIX}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
set(ENV{PKG_CONFIG_LIBDIR} "${FATPACK_PREFIX}/lib/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})
unset(ENV{PKG_CONFIG_SYSROOT_DIR})
