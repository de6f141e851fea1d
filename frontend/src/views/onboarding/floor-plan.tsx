// Floor-plan editor: upload a plan per floor, place unplaced points with a click, drag placed
// ones. Positions go to the server as plan pixels; it stores building-frame metres and WGS84.
import { useEffect, useRef, useState } from 'react';
import { applyAffine, invertAffine, type Affine, type UnitDetail } from '@firelink/common';
import { placePoint, uploadPlan } from './api.ts';
import { s, type OnbLocale } from './strings.ts';
import { errorText } from '../../lib/errors.ts';
import { FileButton } from './pickers.tsx';

type Floor = UnitDetail['floors'][number];

/** Plan pixel of a point placed in the building frame, through the inverse of the plan's transform. */
export function planPxOf(floor: Floor, localXY: readonly [number, number]): [number, number] | null {
  if (!floor.planTransform) return null;
  try {
    return applyAffine(invertAffine(floor.planTransform as unknown as Affine), localXY[0], localXY[1]);
  } catch {
    return null;
  }
}

export function FloorPlanEditor({ unit, locale, onChanged }: { unit: UnitDetail; locale: OnbLocale; onChanged: () => Promise<void> }) {
  const floors = unit.floors.filter((f): f is Floor & { floor: number } => f.floor != null);
  const [floorNo, setFloorNo] = useState<number | null>(floors[0]?.floor ?? null);
  const [selected, setSelected] = useState<number | null>(null);
  const [drag, setDrag] = useState<{ id: number; px: [number, number] } | null>(null);
  const [msg, setMsg] = useState<string | null>(null);
  const [stamp, setStamp] = useState(0);
  const imgRef = useRef<HTMLImageElement>(null);
  useEffect(() => {
    if (floorNo == null && floors[0]) setFloorNo(floors[0].floor);
  }, [floorNo, floors]);
  if (!unit.building) return null;
  const floor = floors.find((f) => f.floor === floorNo) ?? null;
  const unplaced = unit.floors.flatMap((f) => f.points).filter((p) => !p.localXY);

  const toPlanPx = (clientX: number, clientY: number): [number, number] | null => {
    const img = imgRef.current;
    if (!img || !floor?.planSizePx) return null;
    const r = img.getBoundingClientRect();
    return [((clientX - r.left) * floor.planSizePx[0]) / r.width, ((clientY - r.top) * floor.planSizePx[1]) / r.height];
  };
  const place = async (pointId: number, px: [number, number]) => {
    if (floorNo == null) return;
    try {
      await placePoint(unit.id, pointId, floorNo, [Math.round(px[0]), Math.round(px[1])]);
      setSelected(null);
      await onChanged();
    } catch (e) {
      setMsg(errorText(locale, e));
    }
  };
  const pct = (px: [number, number]) => ({
    left: `${(100 * px[0]) / (floor?.planSizePx?.[0] ?? 1)}%`,
    top: `${(100 * px[1]) / (floor?.planSizePx?.[1] ?? 1)}%`,
  });

  return (
    <section className="onb-card" data-testid="floor-plan">
      <h3>{s(locale, 'floorPlan')}</h3>
      <div className="onb-actions">
        <label>
          {s(locale, 'floor')}{' '}
          <select value={floorNo ?? ''} onChange={(e) => setFloorNo(Number(e.target.value))}>
            {floors.map((f) => (
              <option key={f.floor} value={f.floor}>
                {f.floor < 0 ? `B${-f.floor}` : `${f.floor}F`} ({f.points.length})
              </option>
            ))}
          </select>
        </label>
        <FileButton
          label={s(locale, 'uploadPlan')}
          accept="image/png,image/jpeg,image/svg+xml,image/webp"
          testId="plan-file"
          onFile={(file) => {
            if (floorNo != null)
              void uploadPlan(unit.id, floorNo, file).then(
                async () => {
                  setStamp(Date.now());
                  await onChanged();
                },
                (err: Error) => setMsg(errorText(locale, err)),
              );
          }}
        />
        {msg && <span className="onb-message">{msg}</span>}
      </div>
      {floor?.hasPlan && floor.planSizePx && (
        <div
          className="onb-plan"
          onPointerMove={(e) => drag && setDrag({ id: drag.id, px: toPlanPx(e.clientX, e.clientY) ?? drag.px })}
          onPointerUp={() => {
            if (drag) void place(drag.id, drag.px);
            setDrag(null);
          }}
        >
          <img
            ref={imgRef}
            alt={`${s(locale, 'floorPlan')} ${floor.floor}`}
            src={`/api/units/${unit.id}/floors/${floor.floor}/plan?v=${stamp}`}
            draggable={false}
            onClick={(e) => {
              const px = toPlanPx(e.clientX, e.clientY);
              if (selected != null && px) void place(selected, px);
            }}
          />
          {floor.points.map((p) => {
            const px = drag?.id === p.id ? drag.px : p.localXY ? planPxOf(floor, p.localXY) : null;
            if (!px) return null;
            return (
              <span
                key={p.id}
                className={`onb-marker ${p.inFault ? 'fault' : ''}`}
                style={pct(px)}
                title={p.label ?? String(p.componentAddress)}
                onPointerDown={(e) => {
                  e.preventDefault();
                  setDrag({ id: p.id, px });
                }}
              />
            );
          })}
        </div>
      )}
      <h4>{s(locale, 'unplaced')}</h4>
      <ul className="onb-unplaced">
        {unplaced.map((p) => (
          <li key={p.id}>
            <button type="button" className={selected === p.id ? 'active' : ''} onClick={() => setSelected(selected === p.id ? null : p.id)}>
              {p.floor != null ? (p.floor < 0 ? `B${-p.floor}` : `${p.floor}F`) : '?'} · {p.label ?? `${p.componentType}/${p.componentAddress}`}
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
