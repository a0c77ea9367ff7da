# The newest <release> in the AppStream metainfo must be the project version,
# so a version bump in project() cannot ship with stale release notes.
#
# cmake -DMETAINFO=... -DVERSION=... -P metainfo_release.cmake

cmake_minimum_required(VERSION 3.25)

file(READ "${METAINFO}" xml)
string(REGEX MATCH "<release[^>]* version=\"([^\"]+)\"" _ "${xml}")
set(newest "${CMAKE_MATCH_1}")
if(NOT newest STREQUAL VERSION)
    message(FATAL_ERROR "${METAINFO}: newest <release> is '${newest}', but project() "
        "says ${VERSION}. Add a <release version=\"${VERSION}\" date=\"YYYY-MM-DD\"> "
        "entry at the top of <releases>.")
endif()
message(STATUS "metainfo release ${newest} matches the project version")
