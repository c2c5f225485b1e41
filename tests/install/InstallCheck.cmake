# Installs the build into a scratch prefix and checks that pigeon lands in
# bin/ there: README's Quick start runs `cmake --install` and then `pigeon`
# from PATH. Run as: cmake -DBUILD_DIR=... -DPREFIX=... -P InstallCheck.cmake
file(REMOVE_RECURSE "${PREFIX}")
execute_process(COMMAND "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${PREFIX}"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "cmake --install failed (${rc}): ${out}${err}")
endif()
if(NOT EXISTS "${PREFIX}/bin/pigeon")
  message(FATAL_ERROR "cmake --install did not put pigeon in ${PREFIX}/bin: ${out}")
endif()
execute_process(COMMAND "${PREFIX}/bin/pigeon" --version RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^pigeon ")
  message(FATAL_ERROR "the installed pigeon does not run: ${rc} ${out}")
endif()
file(REMOVE_RECURSE "${PREFIX}")
