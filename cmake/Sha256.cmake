# cmake -DFILE=path -DOUT=path -P Sha256.cmake: writes FILE's SHA-256 (hex).
file(SHA256 "${FILE}" _objcap_hash)
file(WRITE "${OUT}" "${_objcap_hash}\n")
