# Installs the build tree into a staging prefix and checks the result the way
# a user's system would see it: the CLI runs and reports the project version,
# and the data, desktop entry, metainfo and icons are where desktops look.
#
# cmake -DBUILD_DIR=... -DSTAGING=... -DVERSION=... -DAPP_ID=...
#       -DBINDIR=bin -DDATADIR=share [-DCONFIG=Release] -P install_staging.cmake

cmake_minimum_required(VERSION 3.25)

foreach(var IN ITEMS BUILD_DIR STAGING VERSION APP_ID BINDIR DATADIR)
    if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
        message(FATAL_ERROR "install_staging.cmake: -D${var}= is required")
    endif()
endforeach()

set(failures "")
macro(fail what)
    list(APPEND failures "${what}")
    message(STATUS "FAIL: ${what}")
endmacro()

# --- install ------------------------------------------------------------------

set(prefix "${STAGING}/usr")
file(REMOVE_RECURSE "${STAGING}")
set(config_args "")
if(CONFIG)
    set(config_args --config "${CONFIG}")
endif()
# A DESTDIR in the caller's environment would move the files elsewhere.
execute_process(
    COMMAND "${CMAKE_COMMAND}" -E env --unset=DESTDIR
            "${CMAKE_COMMAND}" --install "${BUILD_DIR}" --prefix "${prefix}" ${config_args}
    RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
    message(FATAL_ERROR "cmake --install failed (${rc}) -- is the project built?\n${out}\n${err}")
endif()
message(STATUS "installed into ${prefix}")

# --- files at their installed paths -------------------------------------------

set(bin "${prefix}/${BINDIR}")
set(data "${prefix}/${DATADIR}")
set(expected
    "${bin}/llmaudit"
    "${bin}/llmaudit-workbench"
    "${data}/llmaudit/schema/llm-interaction.v1.schema.json"
    "${data}/llmaudit/samples/sample-interactions.jsonl"
    "${data}/applications/${APP_ID}.desktop"
    "${data}/metainfo/${APP_ID}.metainfo.xml"
    "${data}/mime/packages/${APP_ID}.xml"
    "${data}/icons/hicolor/scalable/apps/${APP_ID}.svg"
    "${data}/icons/hicolor/48x48/apps/${APP_ID}.png"
    "${data}/icons/hicolor/128x128/apps/${APP_ID}.png"
    "${data}/icons/hicolor/256x256/apps/${APP_ID}.png")
foreach(path IN LISTS expected)
    if(NOT EXISTS "${path}" OR IS_DIRECTORY "${path}")
        fail("missing ${path}")
    else()
        file(SIZE "${path}" size)
        if(size EQUAL 0)
            fail("empty ${path}")
        endif()
    endif()
endforeach()

# CMake 3.25 has no if(IS_EXECUTABLE); test(1) answers for the mode bits.
find_program(TEST_PROGRAM test)
foreach(exe IN ITEMS llmaudit llmaudit-workbench)
    set(path "${bin}/${exe}")
    if(EXISTS "${path}")
        file(READ "${path}" magic LIMIT 4 HEX)
        if(NOT magic STREQUAL "7f454c46")
            fail("${path} is not an ELF file")
        endif()
        if(TEST_PROGRAM)
            execute_process(COMMAND "${TEST_PROGRAM}" -x "${path}" RESULT_VARIABLE not_exec)
            if(NOT not_exec EQUAL 0)
                fail("${path} is not executable")
            endif()
        endif()
    endif()
endforeach()

# The PNG header stores width and height at bytes 16..23; each file must be
# the size its hicolor directory promises, or icon themes scale it wrongly.
foreach(size IN ITEMS 48 128 256)
    set(path "${data}/icons/hicolor/${size}x${size}/apps/${APP_ID}.png")
    if(EXISTS "${path}")
        file(READ "${path}" header LIMIT 24 HEX)
        string(SUBSTRING "${header}" 0 16 signature)
        string(SUBSTRING "${header}" 32 8 width_hex)
        string(SUBSTRING "${header}" 40 8 height_hex)
        math(EXPR width "0x${width_hex}")
        math(EXPR height "0x${height_hex}")
        if(NOT signature STREQUAL "89504e470d0a1a0a" OR NOT width EQUAL size OR NOT height EQUAL size)
            fail("${path} is ${width}x${height}, expected ${size}x${size} PNG")
        endif()
    endif()
endforeach()

# --- the CLI runs from its installed place ------------------------------------

if(EXISTS "${bin}/llmaudit")
    execute_process(COMMAND "${bin}/llmaudit" --version
        RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 60)
    string(STRIP "${out}" out)
    message(STATUS "llmaudit --version: ${out}")
    if(NOT rc EQUAL 0)
        fail("'llmaudit --version' exited with ${rc}: ${out} ${err}")
    endif()
    # First line must be "llmaudit <project version>", optionally followed by
    # more words (e.g. the Qt version), so 0.1.0 does not match 0.1.01.
    string(REGEX MATCH "^llmaudit ([^ \t\r\n]+)" first "${out}")
    if(NOT CMAKE_MATCH_1 STREQUAL VERSION)
        fail("'llmaudit --version' printed '${out}', expected 'llmaudit ${VERSION}'")
    endif()
endif()

# --- the desktop entry and metainfo point at what was installed ---------------

set(desktop "${data}/applications/${APP_ID}.desktop")
if(EXISTS "${desktop}")
    file(STRINGS "${desktop}" exec_line REGEX "^Exec=")
    file(STRINGS "${desktop}" icon_line REGEX "^Icon=")
    string(REGEX REPLACE "^Exec=([^ ]+).*" "\\1" exec_name "${exec_line}")
    string(REGEX REPLACE "^Icon=" "" icon_name "${icon_line}")
    if(NOT EXISTS "${bin}/${exec_name}")
        fail("desktop entry runs '${exec_name}', which is not in ${bin}")
    endif()
    if(NOT EXISTS "${data}/icons/hicolor/scalable/apps/${icon_name}.svg")
        fail("desktop entry names icon '${icon_name}', which is not installed")
    endif()
endif()

set(metainfo "${data}/metainfo/${APP_ID}.metainfo.xml")
if(EXISTS "${metainfo}")
    file(READ "${metainfo}" xml)
    if(NOT xml MATCHES "<id>${APP_ID}</id>")
        fail("metainfo id is not ${APP_ID}")
    endif()
    string(REGEX MATCH "<launchable type=\"desktop-id\">([^<]+)</launchable>" _ "${xml}")
    if(NOT EXISTS "${data}/applications/${CMAKE_MATCH_1}")
        fail("metainfo launches '${CMAKE_MATCH_1}', which is not installed")
    endif()
    string(REGEX MATCHALL "<binary>[^<]+</binary>" binaries "${xml}")
    foreach(tag IN LISTS binaries)
        string(REGEX REPLACE "</?binary>" "" name "${tag}")
        if(NOT EXISTS "${bin}/${name}")
            fail("metainfo provides binary '${name}', which is not installed")
        endif()
    endforeach()
endif()

# --- the MIME definition compiles and claims .jsonl ---------------------------

find_program(UPDATE_MIME update-mime-database)
if(UPDATE_MIME AND EXISTS "${data}/mime/packages/${APP_ID}.xml")
    # Compile a copy: the staged tree should stay what the package ships.
    # It exits 0 even on a parse error, so stderr must stay empty too; an
    # XDG_DATA_DIRS naming the copy silences its "not in search path" note.
    set(mime_share "${STAGING}/mime-check/share")
    set(mime "${mime_share}/mime")
    file(MAKE_DIRECTORY "${mime}/packages")
    file(COPY "${data}/mime/packages/${APP_ID}.xml" DESTINATION "${mime}/packages")
    execute_process(
        COMMAND "${CMAKE_COMMAND}" -E env "XDG_DATA_DIRS=${mime_share}" "${UPDATE_MIME}" "${mime}"
        RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
    if(EXISTS "${mime}/globs2")
        file(READ "${mime}/globs2" globs)
    else()
        set(globs "")
    endif()
    if(NOT rc EQUAL 0 OR NOT err STREQUAL "" OR NOT globs MATCHES "application/x-ndjson:\\*\\.jsonl")
        fail("update-mime-database rejected ${APP_ID}.xml (${rc}): ${out} ${err}")
    endif()
    file(REMOVE_RECURSE "${STAGING}/mime-check")
endif()

if(failures)
    list(LENGTH failures n)
    list(JOIN failures "\n  " text)
    message(FATAL_ERROR "${n} install check(s) failed:\n  ${text}")
endif()
message(STATUS "install_staging: all checks passed")
