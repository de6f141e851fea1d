// Key parts (重点部位) on a floor's plan: numbered pins (the key-part list's numbers) over the
// plan image of the unit's building. Editors pick a key part of the floor, then click the plan
// to place or move its pin; plans themselves are uploaded in the onboarding floor-plan editor.
// Used by the 六熟悉 pack, its printable card (every floor with pins, no controls) and the
// onboarding key-part editor.
import { useRef, useState } from 'react';
import type { KeyPart, UnitPack } from '@firelink/common';
import type { Locale } from '../../lib/i18n.ts';
import { useI18n } from '../../lib/i18n-react.tsx';
import { patchKeyPart } from './api.ts';
import { floorName, s } from './strings.ts';
import './key-part-plan.css';

type FloorPlanSize = UnitPack['floorPlans'][number];

export interface KeyPartPlanProps {
  unitId: number;
  keyParts: KeyPart[];
  floorPlans: FloorPlanSize[];
  editable: boolean;
  /** Runs a change and reloads the parts (errors are said by the caller). */
  onSave: (what: () => Promise<unknown>) => Promise<void>;
  /** The printable card: every floor with a marked key part (else the first plan), without controls. */
  card?: boolean;
}

export function KeyPartPlan({ unitId, keyParts, floorPlans, editable, onSave, card = false }: KeyPartPlanProps) {
  const { locale } = useI18n();
  const l = locale as Locale;
  const withFloor = keyParts.filter((k) => k.floor != null);
  const [floorNo, setFloorNo] = useState<number | null>(() => withFloor.find((k) => floorPlans.some((f) => f.floor === k.floor))?.floor ?? floorPlans[0]?.floor ?? null);
  const [placing, setPlacing] = useState<number | null>(null);
  if (floorPlans.length === 0) return null;
  const numbered = keyParts.map((k, i) => ({ k, n: i + 1 }));
  if (card) {
    const marked = floorPlans.filter((f) => keyParts.some((k) => k.floor === f.floor && k.planPx));
    return (
      <div className="st-plan-box st-plan-card" data-testid="card-plans">
        {(marked.length ? marked : floorPlans.slice(0, 1)).map((plan) => (
          <figure key={plan.floor} data-testid={`card-plan-${plan.floor}`}>
            <figcaption>
              {s(locale, 'planFloor')} · {floorName(l, plan.floor)}
            </figcaption>
            <PlanImage unitId={unitId} plan={plan} pins={numbered.filter(({ k }) => k.floor === plan.floor)} />
          </figure>
        ))}
      </div>
    );
  }
  const plan = floorPlans.find((f) => f.floor === floorNo) ?? null;
  const onFloor = numbered.filter(({ k }) => k.floor === floorNo);
  const part = keyParts.find((k) => k.id === placing) ?? null;
  return (
    <div className="st-plan-box" data-testid="key-part-plan">
      <div className="st-form no-print">
        <select value={floorNo ?? ''} onChange={(e) => setFloorNo(Number(e.target.value))} data-testid="key-part-plan-floor">
          {floorPlans.map((f) => (
            <option key={f.floor} value={f.floor}>
              {s(locale, 'planFloor')} · {floorName(l, f.floor)}
            </option>
          ))}
        </select>
        {editable &&
          onFloor.map(({ k }) => (
            <button key={k.id} type="button" className={placing === k.id ? 'active' : ''} onClick={() => setPlacing(placing === k.id ? null : k.id)} data-testid={`key-part-place-${k.id}`}>
              {s(locale, 'markOnPlan')} · {k.name}
            </button>
          ))}
        {editable && part?.planPx && (
          <button type="button" onClick={() => void onSave(() => patchKeyPart(unitId, part.id, { planPx: null })).then(() => setPlacing(null))}>
            {s(locale, 'unmark')}
          </button>
        )}
      </div>
      {part && <div className="st-muted">{s(locale, 'markHint', { name: part.name })}</div>}
      {plan && (
        <PlanImage
          unitId={unitId}
          plan={plan}
          pins={onFloor}
          placing={placing != null}
          onPlace={(px) => {
            if (placing == null) return;
            const id = placing;
            void onSave(() => patchKeyPart(unitId, id, { planPx: px })).then(() => setPlacing(null));
          }}
        />
      )}
    </div>
  );
}

/** One plan image with its pins; a click while placing answers the plan pixel. */
function PlanImage({ unitId, plan, pins, placing = false, onPlace }: { unitId: number; plan: FloorPlanSize; pins: Array<{ k: KeyPart; n: number }>; placing?: boolean; onPlace?: (px: [number, number]) => void }) {
  const { locale } = useI18n();
  const img = useRef<HTMLImageElement>(null);
  return (
    <div className={placing ? 'st-plan placing' : 'st-plan'}>
      <img
        ref={img}
        src={`/api/units/${unitId}/floors/${plan.floor}/plan`}
        alt={`${s(locale, 'planFloor')} ${floorName(locale as Locale, plan.floor)}`}
        draggable={false}
        data-testid="key-part-plan-image"
        onClick={(e) => {
          if (!placing || !onPlace || !img.current) return;
          const r = img.current.getBoundingClientRect();
          onPlace([Math.round(((e.clientX - r.left) * plan.widthPx) / r.width), Math.round(((e.clientY - r.top) * plan.heightPx) / r.height)]);
        }}
      />
      {pins
        .filter(({ k }) => k.planPx)
        .map(({ k, n }) => (
          <span
            key={k.id}
            className="st-pin"
            style={{ left: `${(100 * k.planPx![0]) / plan.widthPx}%`, top: `${(100 * k.planPx![1]) / plan.heightPx}%` }}
            title={`${k.name} ${k.hazard}`}
            data-testid={`key-part-pin-${k.id}`}
          >
            {n}
            <em>{k.name}</em>
          </span>
        ))}
    </div>
  );
}
