# -Wall -Wextra -Werror on our own targets only (third-party headers are included as SYSTEM).
function(chorus_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX,C>:-Wall -Wextra -Werror -Wno-missing-field-initializers>)
endfunction()
