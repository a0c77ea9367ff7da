# Builds the Debian package with CPack and checks its control data and
# contents: Depends comes from dpkg-shlibdeps plus the run-time plugins, and
# the executables and desktop files are inside.
#
# cmake -DBUILD_DIR=... -DOUT_DIR=... -DCPACK=... -DDPKG_DEB=... -DVERSION=...
#       -DAPP_ID=... -DEXPECT_SHLIBDEPS=ON|OFF [-DCONFIG=Release] -P cpack_deb.cmake

cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS BUILD_DIR OUT_DIR CPACK DPKG_DEB VERSION APP_ID)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "cpack_deb.cmake: -D${var}= is required")
    endif()
endforeach()

set(failures "")
macro(fail what)
    list(APPEND failures "${what}")
    message(STATUS "FAIL: ${what}")
endmacro()

file(REMOVE_RECURSE "${OUT_DIR}")
file(MAKE_DIRECTORY "${OUT_DIR}")
set(config_args "")
if(CONFIG)
    set(config_args -C "${CONFIG}")
endif()
execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env --unset=DESTDIR
            "${CPACK}" -G DEB --config "${BUILD_DIR}/CPackConfig.cmake" -B "${OUT_DIR}" ${config_args}
    WORKING_DIRECTORY "${BUILD_DIR}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
message(STATUS "cpack:\n${out}")
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cpack -G DEB failed (${rc}):\n${out}\n${err}")
endif()

file(GLOB debs "${OUT_DIR}/*.deb")
list(LENGTH debs count)
if(NOT count EQUAL 1)
    message(FATAL_ERROR "expected one .deb in ${OUT_DIR}, found ${count}: ${debs}")
endif()
get_filename_component(deb_name "${debs}" NAME)
# DEB-DEFAULT naming: <package>_<version>[-<release>]_<arch>.deb
if(NOT deb_name MATCHES "^llmaudit-workbench_${VERSION}(-[0-9a-z.+~]+)?_[a-z0-9]+\\.deb$")
    fail("package file name '${deb_name}' is not the Debian default")
endif()

# --- control data -------------------------------------------------------------

execute_process(COMMAND "${DPKG_DEB}" -I "${debs}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE info ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dpkg-deb -I ${deb_name} failed: ${err}")
endif()
message(STATUS "dpkg-deb -I:\n${info}")

function(control_field field out)
    string(REGEX MATCH "\n ${field}: ([^\n]*)" _ "\n${info}")
    set(${out} "${CMAKE_MATCH_1}" PARENT_SCOPE)
endfunction()

control_field(Package package)
control_field(Version version)
control_field(Section section)
control_field(Maintainer maintainer)
control_field(Depends depends)
if(NOT package STREQUAL "llmaudit-workbench")
    fail("Package is '${package}'")
endif()
if(NOT version MATCHES "^${VERSION}(-|$)")
    fail("Version is '${version}', expected ${VERSION}")
endif()
if(NOT section STREQUAL "devel")
    fail("Section is '${section}', expected devel")
endif()
if(NOT maintainer MATCHES ".+<.+@.+>")
    fail("Maintainer '${maintainer}' has no e-mail address")
endif()

# Description: a synopsis, then continuation lines indented by exactly one
# space (" ." for a blank line); more would make dpkg show them verbatim.
execute_process(COMMAND "${DPKG_DEB}" -f "${debs}" Description
    OUTPUT_VARIABLE description OUTPUT_STRIP_TRAILING_WHITESPACE)
string(REPLACE "\n" ";" description_lines "${description}")
list(POP_FRONT description_lines synopsis)
if(synopsis STREQUAL "" OR synopsis MATCHES "^ ")
    fail("Description has no synopsis line")
endif()
list(LENGTH description_lines n_long)
if(n_long EQUAL 0)
    fail("Description has no long description")
endif()
foreach(line IN LISTS description_lines)
    if(NOT line MATCHES "^ [^ ]")
        fail("badly indented Description line '${line}'")
    endif()
endforeach()

# Depends as a list of bare package names (versions and alternatives cut).
string(REGEX REPLACE " *\\([^)]*\\)" "" names "${depends}")
string(REGEX REPLACE " *[,|] *" ";" names "${names}")
set(required libqt6sql6-sqlite)
if(EXPECT_SHLIBDEPS)
    # Proof that dpkg-shlibdeps ran: the C library and Qt Core are linked by
    # every Qt program and only shlibdeps would name them.
    list(APPEND required libc6 libqt6core6)
endif()
foreach(name IN LISTS required)
    if(NOT name IN_LIST names)
        fail("Depends lacks ${name}: '${depends}'")
    endif()
endforeach()

# --- contents -----------------------------------------------------------------

execute_process(COMMAND "${DPKG_DEB}" -c "${debs}"
    RESULT_VARIABLE rc OUTPUT_VARIABLE listing ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "dpkg-deb -c ${deb_name} failed: ${err}")
endif()
# Each line ends with the member path, e.g. "... ./usr/bin/llmaudit".
string(REGEX REPLACE "[^\n]* \\./" "" paths "${listing}")
string(REPLACE "\n" ";" paths "${paths}")
foreach(path IN ITEMS
        usr/bin/llmaudit
        usr/bin/llmaudit-workbench
        usr/share/llmaudit/schema/llm-interaction.v1.schema.json
        usr/share/llmaudit/samples/sample-interactions.jsonl
        usr/share/applications/${APP_ID}.desktop
        usr/share/metainfo/${APP_ID}.metainfo.xml
        usr/share/mime/packages/${APP_ID}.xml
        usr/share/icons/hicolor/scalable/apps/${APP_ID}.svg
        usr/share/icons/hicolor/48x48/apps/${APP_ID}.png
        usr/share/icons/hicolor/128x128/apps/${APP_ID}.png
        usr/share/icons/hicolor/256x256/apps/${APP_ID}.png)
    if(NOT path IN_LIST paths)
        fail("${deb_name} lacks ./${path}")
    endif()
endforeach()
foreach(path IN LISTS paths)
    if(path MATCHES "^usr/local/|^usr/include/|\\.a$")
        fail("${deb_name} ships ./${path}, which does not belong in a runtime package")
    endif()
endforeach()

if(failures)
    list(LENGTH failures n)
    list(JOIN failures "\n  " text)
    message(FATAL_ERROR "${n} package check(s) failed:\n  ${text}")
endif()
message(STATUS "cpack_deb: ${deb_name} passed all checks")
