/**
 * Checks an inverse conversion without the code under test: base = contracts × size ÷ price
 * rounded half-even at 18 places means |base × price − contracts × size| <= price / 2 × 10^-18,
 * which integers decide exactly.
 */
export function inverseWithinRounding(base: string, price: string, contracts: string, size: string): boolean {
  const S = 30; // fractional digits enough for every operand here
  const scaled = (d: string) => {
    const [i = '0', f = ''] = d.split('.');
    return BigInt(i + f.padEnd(S, '0').slice(0, S));
  };
  const diff = scaled(base) * scaled(price) - scaled(contracts) * scaled(size); // scale 2S
  return (diff < 0n ? -diff : diff) <= (scaled(price) * 10n ** BigInt(S - 18)) / 2n;
}
