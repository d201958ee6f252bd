# Builds @catena/client into OUT (a build-tree folder): copies package.json, examples and the catena.v1 protos, links
# node_modules to the npm asset dir ($CATENA_ASSET_DIR, default ~/.cache/catena/assets) and compiles src/*.ts with
# the asset dir's tsc. Skips when the sources are older than OUT/dist/index.js. Without the assets it prints why
# and succeeds, unless REQUIRED is set (the test fixture sets it).
# Usage: cmake -DNODE=... -DSRC=sdk/typescript -DPROTO=proto -DOUT=build/sdk/typescript [-DREQUIRED=ON] -P build_sdk.cmake
if(DEFINED ENV{CATENA_ASSET_DIR} AND NOT "$ENV{CATENA_ASSET_DIR}" STREQUAL "")
  set(assets "$ENV{CATENA_ASSET_DIR}")
else()
  set(assets "$ENV{HOME}/.cache/catena/assets")
endif()
set(tsc "${assets}/node_modules/typescript/bin/tsc")
foreach(needed "${tsc}" "${assets}/node_modules/@grpc/grpc-js" "${assets}/node_modules/@grpc/proto-loader"
               "${assets}/node_modules/@types/node")
  if(NOT EXISTS "${needed}")
    set(message "TypeScript SDK not built: ${needed} is missing (run scripts/fetch-assets.sh)")
    if(REQUIRED)
      message(FATAL_ERROR "${message}")
    endif()
    message(STATUS "${message}")
    return()
  endif()
endforeach()

file(GLOB sources "${SRC}/src/*.ts")
file(GLOB protos "${PROTO}/catena/v1/*.proto")
file(GLOB examples "${SRC}/examples/*")
set(stamp "${OUT}/dist/index.js")
set(stale FALSE)
foreach(input IN LISTS sources protos examples ITEMS "${SRC}/package.json" "${SRC}/tsconfig.json" "${SRC}/build_sdk.cmake")
  if(NOT EXISTS "${stamp}" OR "${input}" IS_NEWER_THAN "${stamp}")
    set(stale TRUE)
  endif()
endforeach()
if(NOT stale AND EXISTS "${OUT}/node_modules")
  return()
endif()

file(MAKE_DIRECTORY "${OUT}/proto/catena/v1")
file(COPY ${protos} DESTINATION "${OUT}/proto/catena/v1")
file(COPY "${SRC}/package.json" "${SRC}/README.md" "${SRC}/examples" DESTINATION "${OUT}")
file(CREATE_LINK "${assets}/node_modules" "${OUT}/node_modules" SYMBOLIC)
file(WRITE "${OUT}/tsconfig.build.json" "{
  \"extends\": \"${SRC}/tsconfig.json\",
  \"compilerOptions\": {
    \"rootDir\": \"${SRC}/src\",
    \"outDir\": \"${OUT}/dist\",
    \"typeRoots\": [\"${assets}/node_modules/@types\"],
    \"baseUrl\": \"${OUT}\",
    \"paths\": {\"*\": [\"${assets}/node_modules/*\"]}
  },
  \"include\": [\"${SRC}/src/*.ts\"]
}
")
execute_process(COMMAND "${NODE}" "${tsc}" -p "${OUT}/tsconfig.build.json" RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "tsc failed (${result}) compiling ${SRC}/src")
endif()
# tsc keeps unchanged outputs' times; touch the stamp so the next check sees a fresh build.
file(TOUCH "${stamp}")
