#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module signing with your own (MOK) key, through the kernel's sign-file.
#
#   scripts/sign.sh keygen KEY CERT        make a key pair: KEY (PEM private
#                                          key), CERT (DER X.509, what
#                                          mokutil --import takes)
#   scripts/sign.sh sign KEY CERT KO [KVER [KDIR]]
#                                          sign KO in place with the hash
#                                          KVER's config asks for (KDIR:
#                                          that build tree instead of
#                                          /lib/modules/KVER/build)
#   scripts/sign.sh verify CERT KO         check KO's appended signature
#                                          against CERT with openssl
#
# sign-file comes from the kernel's build tree (Debian: linux-kbuild-*,
# reached through /lib/modules/KVER/build/scripts/sign-file; a kernel you
# built yourself has it in its build tree, KDIR).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

die() { echo "sign.sh: $*" >&2; exit 1; }

keygen() {
	local key=$1 cert=$2
	[ -e "$key" ] && die "$key exists: not overwriting a key"
	# codeSigning: what shim's MokManager and the kernel's keyring accept
	# for module signing; the CN shows as modinfo's "signer".
	openssl req -new -x509 -newkey rsa:2048 -nodes -days 36500 -sha256 \
		-subj "/CN=vmapdemo module signing key/" \
		-addext "basicConstraints=critical,CA:FALSE" \
		-addext "keyUsage=digitalSignature" \
		-addext "extendedKeyUsage=codeSigning" \
		-keyout "$key" -outform DER -out "$cert" 2>/dev/null ||
		die "openssl could not make the key pair"
	chmod 600 "$key"
	echo "sign.sh: made $key (keep it private) and $cert (enroll: mokutil --import $cert)"
}

sign() {
	local key=$1 cert=$2 ko=$3 kver=${4:-$(uname -r)} kdir=${5:-} sf hash croot
	[ -r "$key" ] || die "no key $key (make keygen makes one)"
	[ -r "$cert" ] || die "no certificate $cert"
	[ -f "$ko" ] || die "no module $ko (run make first)"
	kdir=${kdir:-/lib/modules/$kver/build}
	sf=$kdir/scripts/sign-file
	[ -x "$sf" ] || sf=$(ls /usr/lib/linux-kbuild-*/scripts/sign-file 2>/dev/null | tail -n 1)
	[ -x "$sf" ] || die "no sign-file: install linux-headers-$kver"
	hash=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"/\1/p' "$kdir/.config" 2>/dev/null)
	hash=${hash:-sha256}
	# A module signed before carries that signature at its end: sign-file
	# would append a second one, which the kernel does not read.
	if tail -c 28 "$ko" | grep -q '~Module signature appended~'; then
		die "$ko is signed already: rebuild it (make clean && make) first"
	fi
	# A kernel built in a chroot (the 7.3 debug kernel) has a sign-file
	# linked against that suite's libraries: it runs there. The chroot
	# sees this tree and the cache at their own paths (scripts/chroot.sh),
	# so KEY, CERT and KO must be under one of them.
	croot=$("$top/scripts/kernels.sh" --chroot "$kver")
	if [ -n "$croot" ] && [ "$sf" = "$kdir/scripts/sign-file" ]; then
		"$top/scripts/chroot.sh" "$croot" run "$(realpath "$sf")" "$hash" \
			"$(realpath "$key")" "$(realpath "$cert")" "$(realpath "$ko")"
	else
		"$sf" "$hash" "$key" "$cert" "$ko"
	fi
	echo "sign.sh: signed $ko ($hash, $(modinfo -F signer "$ko"))"
}

# The layout sign-file appends (scripts/sign-file.c, struct
# module_signature): [module][PKCS#7 signature][12-byte struct, ending in
# the signature's length, big endian]["~Module signature appended~\n"].
verify() {
	local cert=$1 ko=$2 size siglen tmp rc=0
	local magic='~Module signature appended~'
	tail -c 28 "$ko" | grep -aq "^$magic" || die "$ko is not signed"
	size=$(stat -c %s "$ko")
	siglen=$(tail -c 32 "$ko" | head -c 4 | od -An -tu1 |
		awk '{ print ((($1 * 256 + $2) * 256 + $3) * 256 + $4) }')
	tmp=$(mktemp -d)
	head -c $((size - 40 - siglen)) "$ko" >"$tmp/data"
	tail -c $((siglen + 40)) "$ko" | head -c "$siglen" >"$tmp/sig"
	openssl x509 -inform DER -in "$cert" -out "$tmp/cert.pem" || rc=1
	# -noverify: the certificate is self-signed, we check the signature
	# against it, not a chain of trust (that is the kernel's keyring's job).
	if [ $rc = 0 ] && openssl cms -verify -binary -inform DER -in "$tmp/sig" \
		-content "$tmp/data" -certfile "$tmp/cert.pem" -nointern \
		-noverify -out /dev/null 2>"$tmp/err"; then
		echo "sign.sh: $ko: good signature by $(modinfo -F signer "$ko")"
	else
		sed 's/^/  /' "$tmp/err" >&2
		echo "sign.sh: $ko: BAD signature (or not by $cert)" >&2
		rc=1
	fi
	rm -rf "$tmp"
	return $rc
}

case ${1:-} in
keygen) [ $# = 3 ] || die "usage: sign.sh keygen KEY CERT"; keygen "$2" "$3" ;;
sign) [ $# -ge 4 ] || die "usage: sign.sh sign KEY CERT KO [KVER [KDIR]]"; sign "$2" "$3" "$4" "${5:-}" "${6:-}" ;;
verify) [ $# = 3 ] || die "usage: sign.sh verify CERT KO"; verify "$2" "$3" ;;
*) die "usage: sign.sh keygen|sign|verify ..." ;;
esac
