// The wall's small parts: the map symbols as inline SVG (legend and ticker draw exactly the
// shapes of the map's point layers), the speaker icon (SVG: an emoji renders as a box on a
// wall PC without an emoji font) and the legend.
import type { Locale } from '../lib/i18n.ts';
import { translate } from '../lib/i18n.ts';
import { PRIORITY_COLORS, STATION_COLOR, UNIT_STATE_COLORS, UNIT_STATE_NAMES, UNIT_STATE_SHAPES, connectionRateColor, priorityShape, type Rgba, type Shape } from '../model/colors.ts';
import { ws } from './wall-strings.ts';

const css = (c: Rgba, alpha = 1) => `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;

/** One map symbol, 0…16 user units; the same geometry as UnitPointsLayer's shader. */
export function MapSymbol({ shape, color, size = 16, outline }: { shape: Shape; color: Rgba; size?: number; outline?: string }) {
  const fill = css(color);
  const stroke = outline ?? 'none';
  let el;
  switch (shape) {
    case 'triangle':
      el = <polygon points="8,1 15,14 1,14" fill={fill} stroke={stroke} strokeWidth={1.2} />;
      break;
    case 'square':
      el = <rect x="2" y="2" width="12" height="12" fill={fill} stroke={stroke} strokeWidth={1.2} />;
      break;
    case 'diamond':
      el = <polygon points="8,0.5 15.5,8 8,15.5 0.5,8" fill={fill} stroke={stroke} strokeWidth={1.2} />;
      break;
    case 'ring':
      el = <circle cx="8" cy="8" r="5" fill="none" stroke={fill} strokeWidth={3} />;
      break;
    default:
      el = <circle cx="8" cy="8" r="6.5" fill={fill} stroke={stroke} strokeWidth={1.2} />;
  }
  return (
    <svg className="map-symbol" width={size} height={size} viewBox="0 0 16 16" aria-hidden="true">
      {el}
    </svg>
  );
}

export function SpeakerIcon({ muted }: { muted: boolean }) {
  return (
    <svg className="icon" width="20" height="20" viewBox="0 0 24 24" aria-hidden="true" fill="none" stroke="currentColor" strokeWidth="2" strokeLinecap="round" strokeLinejoin="round">
      <path d="M4 9h4l5-4v14l-5-4H4z" fill="currentColor" />
      {muted ? <path d="M17 9l5 6M22 9l-5 6" /> : <path d="M16.5 8.5a5 5 0 0 1 0 7M19 6a8.5 8.5 0 0 1 0 12" />}
    </svg>
  );
}

const ALARM_KINDS = [
  ['fire', 1],
  ['host_offline', 2],
  ['off_duty', 3],
  ['fault', 4],
  ['supervisory', 5],
] as const;

/** `stillRings`: the rings stand still (a wall without a GPU, wall.css .still-rings). */
export function WallLegend({ locale, stillRings }: { locale: Locale; stillRings: boolean }) {
  const t = (k: Parameters<typeof translate>[1]) => translate(locale, k);
  return (
    <div className="wall-legend" data-testid="legend">
      <div className="col">
        <h3>{ws(locale, 'legend.units')}</h3>
        {UNIT_STATE_NAMES.map((s, i) => (
          <div key={s} data-testid={`legend-unit-${s}`}>
            <MapSymbol shape={UNIT_STATE_SHAPES[i]!} color={UNIT_STATE_COLORS[i]!} />
            {t(`unitState.${s}`)}
          </div>
        ))}
        <div data-testid="legend-station">
          <svg className="map-symbol" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
            <circle cx="8" cy="8" r="6" fill={STATION_COLOR} stroke="#fff" strokeWidth="2" />
          </svg>
          {ws(locale, 'legend.station')}
        </div>
      </div>
      <div className="col">
        <h3>{ws(locale, 'legend.alarms')}</h3>
        {ALARM_KINDS.map(([k, p]) => (
          <div key={k} data-testid={`legend-alarm-${k}`}>
            <MapSymbol shape={priorityShape(p)} color={PRIORITY_COLORS[p]!} outline="#fff" />
            {t(`kind.${k}`)}
          </div>
        ))}
        <div data-testid="legend-pulse">
          <svg className="map-symbol" width="16" height="16" viewBox="0 0 16 16" aria-hidden="true">
            <circle cx="8" cy="8" r="6.5" fill="none" stroke={css(PRIORITY_COLORS[1]!)} strokeWidth="1.5" />
            <circle cx="8" cy="8" r="3" fill="none" stroke={css(PRIORITY_COLORS[1]!)} strokeWidth="1.5" />
          </svg>
          {ws(locale, stillRings ? 'legend.pulseStill' : 'legend.pulse')}
        </div>
      </div>
      <div className="row" data-testid="legend-rate">
        <span className="rate-title">{ws(locale, 'legend.rate')}</span>
        {([
          ['ok', connectionRateColor(0.9, 0.6)],
          ['near', connectionRateColor(0.5, 0.6)],
          ['low', connectionRateColor(0.1, 0.6)],
        ] as const).map(([k, c]) => (
          <span key={k} className="rate">
            <span className="rate-swatch" style={{ background: css(c, 0.55) }} />
            {ws(locale, `legend.rate.${k}`)}
          </span>
        ))}
      </div>
    </div>
  );
}
