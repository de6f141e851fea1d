// Audible fire alert synthesised with WebAudio (no audio file to download): a two-tone
// siren, three cycles. Browsers start an AudioContext suspended until a user gesture, so
// the wall shows a hint until it is running.

export class AlertSound {
  private ctx: AudioContext | null = null;
  muted = false;
  /** Number of alerts played (tests and the bench read it). */
  played = 0;

  private context(): AudioContext | null {
    if (this.ctx) return this.ctx;
    const Ctor = window.AudioContext ?? (window as unknown as { webkitAudioContext?: typeof AudioContext }).webkitAudioContext;
    if (!Ctor) return null;
    this.ctx = new Ctor();
    return this.ctx;
  }

  /** Whether the browser lets us make sound now (false until a user gesture, usually). */
  get running(): boolean {
    return this.ctx?.state === 'running';
  }

  /** Call from a click/key handler to unlock audio. */
  async unlock(): Promise<boolean> {
    const c = this.context();
    if (!c) return false;
    if (c.state === 'suspended') await c.resume().catch(() => {});
    return c.state === 'running';
  }

  /** Plays the fire siren unless muted: 960/770 Hz alternating every 0.25 s for 1.5 s. */
  fire(): void {
    if (this.muted) return;
    const c = this.context();
    if (!c) return;
    if (c.state === 'suspended') void c.resume().catch(() => {});
    const t0 = c.currentTime + 0.02;
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = 'square';
    for (let i = 0; i < 6; i++) osc.frequency.setValueAtTime(i % 2 === 0 ? 960 : 770, t0 + i * 0.25);
    gain.gain.setValueAtTime(0.0001, t0);
    gain.gain.exponentialRampToValueAtTime(0.25, t0 + 0.03);
    gain.gain.setValueAtTime(0.25, t0 + 1.45);
    gain.gain.exponentialRampToValueAtTime(0.0001, t0 + 1.5);
    osc.connect(gain).connect(c.destination);
    osc.start(t0);
    osc.stop(t0 + 1.52);
    osc.onended = () => {
      osc.disconnect();
      gain.disconnect();
    };
    this.played++;
  }

  close(): void {
    void this.ctx?.close().catch(() => {});
    this.ctx = null;
  }
}

/**
 * Lets a page's first click or key unlock `sound` (browsers' autoplay policy) and closes it
 * when the page goes; `onReady` hears whether sound may play. Returns the cleanup.
 */
export function unlockOnGesture(sound: AlertSound, onReady?: (running: boolean) => void): () => void {
  const unlock = () => void sound.unlock().then((ok) => onReady?.(ok));
  unlock();
  window.addEventListener('pointerdown', unlock);
  window.addEventListener('keydown', unlock);
  return () => {
    window.removeEventListener('pointerdown', unlock);
    window.removeEventListener('keydown', unlock);
    sound.close();
  };
}
