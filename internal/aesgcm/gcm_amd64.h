// Macros shared by the assembly files of this package.

// LOAD_ROUND_KEYS broadcasts the 15 round keys at rk into all four lanes
// of Z16-Z30.
#define LOAD_ROUND_KEYS(rk) \
	VBROADCASTI32X4 0(rk), Z16; \
	VBROADCASTI32X4 16(rk), Z17; \
	VBROADCASTI32X4 32(rk), Z18; \
	VBROADCASTI32X4 48(rk), Z19; \
	VBROADCASTI32X4 64(rk), Z20; \
	VBROADCASTI32X4 80(rk), Z21; \
	VBROADCASTI32X4 96(rk), Z22; \
	VBROADCASTI32X4 112(rk), Z23; \
	VBROADCASTI32X4 128(rk), Z24; \
	VBROADCASTI32X4 144(rk), Z25; \
	VBROADCASTI32X4 160(rk), Z26; \
	VBROADCASTI32X4 176(rk), Z27; \
	VBROADCASTI32X4 192(rk), Z28; \
	VBROADCASTI32X4 208(rk), Z29; \
	VBROADCASTI32X4 224(rk), Z30

// GHASH_REDUCE turns the lane-wise low, high and middle products of a
// step (ZLO/YLO/XLO … the same registers at three widths) into the new
// GHASH state in XOUT: the four lanes of each folded into one, the
// middle products added across the halves, and the 256-bit result reduced
// modulo the bit-reflected polynomial (POLY, a memory or register operand
// holding 0xc2000000000000000000000000000001), in two folds of 64 bits.
// Y8-Y10 and X8-X10 are clobbered; the products must not live there.
#define GHASH_REDUCE(ZLO, YLO, XLO, ZHI, YHI, XHI, ZMID, YMID, XMID, POLY, XOUT) \
	VEXTRACTI64X4 $1, ZLO, Y8; \
	VEXTRACTI64X4 $1, ZHI, Y9; \
	VEXTRACTI64X4 $1, ZMID, Y10; \
	VPXOR Y8, YLO, YLO; \
	VPXOR Y9, YHI, YHI; \
	VPXOR Y10, YMID, YMID; \
	VEXTRACTI128 $1, YLO, X8; \
	VEXTRACTI128 $1, YHI, X9; \
	VEXTRACTI128 $1, YMID, X10; \
	VPXOR X8, XLO, XLO; \
	VPXOR X9, XHI, XHI; \
	VPXOR X10, XMID, XMID; \
	VPSLLDQ $8, XMID, X8; \
	VPSRLDQ $8, XMID, X9; \
	VPXOR X8, XLO, XLO; \
	VPXOR X9, XHI, XHI; \
	VPCLMULQDQ $0x10, POLY, XLO, X8; \
	VPSHUFD $0x4e, XLO, XLO; \
	VPXOR X8, XLO, XLO; \
	VPCLMULQDQ $0x10, POLY, XLO, X8; \
	VPSHUFD $0x4e, XLO, XLO; \
	VPXOR X8, XLO, XLO; \
	VPXORQ XHI, XLO, XOUT

// CTR_FINISH ends a CTR step: the last AES round of the states Z4-Z7
// (round key Z30), XORed with the 256 bytes at (SI) into (DI), and the
// counters Z0-Z3 advanced by INC (16 in each lane's counter word).
#define CTR_FINISH(INC) \
	VAESENCLAST Z30, Z4, Z4; \
	VAESENCLAST Z30, Z5, Z5; \
	VAESENCLAST Z30, Z6, Z6; \
	VAESENCLAST Z30, Z7, Z7; \
	VPXORQ 0(SI), Z4, Z4; \
	VPXORQ 64(SI), Z5, Z5; \
	VPXORQ 128(SI), Z6, Z6; \
	VPXORQ 192(SI), Z7, Z7; \
	VMOVDQU64 Z4, 0(DI); \
	VMOVDQU64 Z5, 64(DI); \
	VMOVDQU64 Z6, 128(DI); \
	VMOVDQU64 Z7, 192(DI); \
	VPADDD INC, Z0, Z0; \
	VPADDD INC, Z1, Z1; \
	VPADDD INC, Z2, Z2; \
	VPADDD INC, Z3, Z3

// AES_ROUND is one AES round of the states Z4-Z7 with round key K.
#define AES_ROUND(K) VAESENC K, Z4, Z4; VAESENC K, Z5, Z5; VAESENC K, Z6, Z6; VAESENC K, Z7, Z7

// CTR_INIT loads the counters of the first step into Z0-Z3 from the
// counter block at (PTR): blocks +0…+15, the counter word little-endian
// (SWAP: the shuffle that reverses it) so that VPADDD increments it.
#define CTR_INIT(PTR, SWAP) \
	VBROADCASTI32X4 (PTR), Z0; \
	VPSHUFB SWAP, Z0, Z0; \
	VPADDD ·lane0123(SB), Z0, Z0; \
	VPADDD ·inc4(SB), Z0, Z1; \
	VPADDD ·inc4(SB), Z1, Z2; \
	VPADDD ·inc4(SB), Z2, Z3

// CTR_START begins a CTR step: the counters Z0-Z3 as counter blocks
// (SWAP), XORed with the first round key Z16, into the states Z4-Z7.
#define CTR_START(SWAP) \
	VPSHUFB SWAP, Z0, Z4; \
	VPSHUFB SWAP, Z1, Z5; \
	VPSHUFB SWAP, Z2, Z6; \
	VPSHUFB SWAP, Z3, Z7; \
	VPXORQ Z16, Z4, Z4; \
	VPXORQ Z16, Z5, Z5; \
	VPXORQ Z16, Z6, Z6; \
	VPXORQ Z16, Z7, Z7
