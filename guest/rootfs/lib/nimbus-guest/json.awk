# Flatten a JSON document into one "path<TAB>value" line per scalar, for busybox awk.
# Object keys and array indexes join with "/": {"public_keys": {"k": "ssh-ed25519 ..."}}
# gives "public_keys/k<TAB>ssh-ed25519 ...", {"keys": [{"data": "x"}]} gives "keys/0/data<TAB>x".
# Strings are unescaped (newlines in values come out as the two characters \n);
# null, true, false and numbers come out as written. Malformed input stops with exit 1.

{ doc = doc $0 "\n" }

END {
    pos = 1
    len = length(doc)
    value("")
    skip_space()
    if (failed || pos <= len) {
        print "json.awk: malformed JSON near offset " pos > "/dev/stderr"
        exit 1
    }
}

function fail() { failed = 1; pos = len + 1 }

function skip_space() {
    while (pos <= len && index(" \t\r\n", substr(doc, pos, 1)))
        pos++
}

function emit(path, text) {
    gsub(/\n/, "\\n", text)
    print path "\t" text
}

function join(path, key) { return path == "" ? key : path "/" key }

function value(path,    c) {
    skip_space()
    c = substr(doc, pos, 1)
    if (c == "{") object(path)
    else if (c == "[") array(path)
    else if (c == "\"") emit(path, string())
    else emit(path, literal())
}

function object(path,    key, c) {
    pos++
    skip_space()
    if (substr(doc, pos, 1) == "}") { pos++; return }
    while (pos <= len) {
        skip_space()
        if (substr(doc, pos, 1) != "\"") { fail(); return }
        key = string()
        skip_space()
        if (substr(doc, pos, 1) != ":") { fail(); return }
        pos++
        value(join(path, key))
        skip_space()
        c = substr(doc, pos, 1)
        pos++
        if (c == "}") return
        if (c != ",") { fail(); return }
    }
    fail()
}

function array(path,    n, c) {
    pos++
    skip_space()
    if (substr(doc, pos, 1) == "]") { pos++; return }
    n = 0
    while (pos <= len) {
        value(join(path, n++))
        skip_space()
        c = substr(doc, pos, 1)
        pos++
        if (c == "]") return
        if (c != ",") { fail(); return }
    }
    fail()
}

function literal(    start) {
    start = pos
    while (pos <= len && index(",}] \t\r\n", substr(doc, pos, 1)) == 0)
        pos++
    if (pos == start) fail()
    return substr(doc, start, pos - start)
}

# A string starting at the opening quote; leaves pos after the closing quote.
function string(    out, c, e) {
    out = ""
    pos++
    while (pos <= len) {
        c = substr(doc, pos, 1)
        if (c == "\"") { pos++; return out }
        if (c != "\\") { out = out c; pos++; continue }
        e = substr(doc, pos + 1, 1)
        pos += 2
        if (e == "n") out = out "\n"
        else if (e == "t") out = out "\t"
        else if (e == "r") out = out "\r"
        else if (e == "b" || e == "f") out = out " "
        else if (e == "u") { out = out codepoint(substr(doc, pos, 4)); pos += 4 }
        else out = out e
    }
    fail()
    return out
}

# \uXXXX: ASCII as itself, anything else as "?" (the guest only needs ASCII values).
function codepoint(hex,    i, n, d) {
    n = 0
    for (i = 1; i <= 4; i++) {
        d = index("0123456789abcdef", tolower(substr(hex, i, 1)))
        if (d == 0) return "?"
        n = n * 16 + d - 1
    }
    return (n >= 32 && n < 127) ? sprintf("%c", n) : "?"
}
