/** A horizontal swipe from `start` to `end` (CSS pixels), or null for a tap, a scroll or a short drag. */
export function swipeDirection(start: { x: number; y: number }, end: { x: number; y: number }, minDistance = 60): 'left' | 'right' | null {
  const dx = end.x - start.x;
  const dy = end.y - start.y;
  // Mostly sideways: a vertical scroll that drifts a little is not a swipe.
  if (Math.abs(dx) < minDistance || Math.abs(dy) > Math.abs(dx) / 2) return null;
  return dx < 0 ? 'left' : 'right';
}
