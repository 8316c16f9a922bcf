# CHORUS_SANITIZE="address;undefined" or "thread" instruments every target of this build.
if(CHORUS_SANITIZE)
  string(REPLACE ";" "," _chorus_san "${CHORUS_SANITIZE}")
  add_compile_options(-fsanitize=${_chorus_san} -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=${_chorus_san})
  message(STATUS "Chorus: sanitizers ${_chorus_san}")
endif()
