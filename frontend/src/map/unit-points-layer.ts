// The units layer: one GL point per unit (gl.POINTS, one vertex each), round and smooth-edged
// in the fragment shader. deck.gl's ScatterplotLayer draws an instanced quad per object;
// measured in headless Chromium with software WebGL (SwiftShader, what a wall PC without a
// working GPU driver falls back to), instancing costs ~8 µs per object: 100,000 units took
// ~750 ms a frame, whatever the shader. The same 100,000 as points take ~50 ms. On a GPU
// both are cheap; points stay the cheaper of the two.
//
// Each point has a shape (SHAPE in model/colors.ts: circle, triangle, square, diamond, ring),
// cut out in the fragment shader from its distance field, and an optional outline: state is
// told by shape as well as by colour, for colour-blind viewers. The alarm dots use the same
// layer with per-object accessors.
//
// Data: deck.gl binary attributes `{ length, attributes: { getPosition, getRadius,
// getFillColor, getShape } }` (see layers.ts), so no JavaScript object per unit. Picking works as
// for any deck.gl layer (the picking colour comes from gl_VertexID).
import { Layer, UNIT, color, picking, project32, type Accessor, type Color, type DefaultProps, type Position, type LayerProps, type Unit, type UpdateParameters } from '@deck.gl/core';
import { Model } from '@luma.gl/engine';
import type { ShaderModule } from '@luma.gl/shadertools';

type UnitPointsUniforms = {
  radiusScale: number;
  radiusMinPixels: number;
  radiusMaxPixels: number;
  radiusUnits: number;
  lineWidthPixels: number;
  lineColor: [number, number, number, number];
};

const uniformBlock = /* glsl */ `\
layout(std140) uniform unitPointsUniforms {
  float radiusScale;
  float radiusMinPixels;
  float radiusMaxPixels;
  highp int radiusUnits;
  float lineWidthPixels;
  vec4 lineColor;
} unitPoints;
`;

const unitPointsUniforms = {
  name: 'unitPoints',
  vs: uniformBlock,
  fs: uniformBlock,
  uniformTypes: {
    radiusScale: 'f32',
    radiusMinPixels: 'f32',
    radiusMaxPixels: 'f32',
    radiusUnits: 'i32',
    lineWidthPixels: 'f32',
    lineColor: 'vec4<f32>',
  },
} as const satisfies ShaderModule<UnitPointsUniforms>;

const vs = /* glsl */ `\
#version 300 es
#define SHADER_NAME unit-points-layer-vertex-shader

in vec3 positions;
in vec3 positions64Low;
in float radii;
in vec4 fillColors;
in float shapes;

out vec4 vColor;
out float vRadius;
out float vLineWidth;
out float vShape;

void main(void) {
  geometry.worldPosition = positions;
  geometry.pickingColor = picking_getPickingColorFromIndex(float(gl_VertexID));
  float r = clamp(
    project_size_to_pixel(unitPoints.radiusScale * radii, unitPoints.radiusUnits),
    unitPoints.radiusMinPixels, unitPoints.radiusMaxPixels
  );
  gl_Position = project_position_to_clipspace(positions, positions64Low, vec3(0.0), geometry.position);
  DECKGL_FILTER_GL_POSITION(gl_Position, geometry);
  // Radius in framebuffer pixels; the point is one pixel wider for the smooth edge.
  vRadius = r * project.devicePixelRatio;
  gl_PointSize = 2.0 * (vRadius + 1.0);
  vColor = vec4(fillColors.rgb, fillColors.a * layer.opacity);
  vShape = shapes;
  vLineWidth = unitPoints.lineWidthPixels * project.devicePixelRatio;
  DECKGL_FILTER_COLOR(vColor, geometry);
}
`;

const fs = /* glsl */ `\
#version 300 es
#define SHADER_NAME unit-points-layer-fragment-shader

precision highp float;

in vec4 vColor;
in float vRadius;
in float vLineWidth;
in float vShape;

out vec4 fragColor;

// Signed distance (framebuffer px, negative inside) from the shape's edge; p is the offset
// from the point's centre with y up, r the radius. Shape codes: SHAPE in model/colors.ts.
float shapeDistance(vec2 p, float r, int shape) {
  if (shape == 1) {
    // triangle, apex up; its incircle has radius r / 2
    return max(abs(p.x) * 0.866 + p.y * 0.5, -p.y) - r * 0.5;
  }
  if (shape == 2) return max(abs(p.x), abs(p.y)) - r * 0.82;
  if (shape == 3) return (abs(p.x) + abs(p.y)) * 0.7071 - r * 0.72;
  if (shape == 4) return abs(length(p) - r * 0.72) - max(r * 0.28, 1.0);
  return length(p) - r;
}

void main(void) {
  vec2 p = (gl_PointCoord - 0.5) * 2.0 * (vRadius + 1.0);
  p.y = -p.y;
  float d = shapeDistance(p, vRadius, int(vShape + 0.5));
  if (d > 0.5) discard;
  fragColor = vColor;
  float lineWidth = vLineWidth;
  if (lineWidth > 0.0 && picking.isActive < 0.5) {
    fragColor = mix(fragColor, vec4(unitPoints.lineColor.rgb, unitPoints.lineColor.a * layer.opacity), smoothstep(-lineWidth - 0.5, -lineWidth + 0.5, d));
  }
  // Hard edge while picking (an exact hit area), smooth edge when drawn.
  if (picking.isActive < 0.5) fragColor.a *= 1.0 - smoothstep(-0.5, 0.5, d);
  DECKGL_FILTER_COLOR(fragColor, geometry);
}
`;

export type UnitPointsLayerProps = LayerProps & {
  data: { length: number; attributes: Record<string, unknown> };
  radiusUnits?: Unit;
  radiusScale?: number;
  radiusMinPixels?: number;
  radiusMaxPixels?: number;
  /** Outline width in CSS px (0: none) and its colour, RGBA bytes. */
  lineWidthPixels?: number;
  lineColor?: [number, number, number, number];
  getPosition?: Accessor<unknown, Position>;
  getRadius?: Accessor<unknown, number>;
  getFillColor?: Accessor<unknown, Color>;
  /** SHAPE code (model/colors.ts). */
  getShape?: Accessor<unknown, number>;
};

const defaultProps: DefaultProps<UnitPointsLayerProps> = {
  radiusUnits: 'meters',
  radiusScale: { type: 'number', min: 0, value: 1 },
  radiusMinPixels: { type: 'number', min: 0, value: 0 },
  radiusMaxPixels: { type: 'number', min: 0, value: 64 },
  lineWidthPixels: { type: 'number', min: 0, value: 0 },
  lineColor: { type: 'color', value: [255, 255, 255, 255] },
  // Accessors exist only so the binary attributes (`data.attributes.getPosition` …) bind.
  getPosition: { type: 'accessor', value: (x: { position: [number, number] }) => x.position },
  getRadius: { type: 'accessor', value: 1 },
  getFillColor: { type: 'accessor', value: [0, 0, 0, 255] },
  getShape: { type: 'accessor', value: 0 },
} as DefaultProps<UnitPointsLayerProps>;

export class UnitPointsLayer extends Layer<Required<Omit<UnitPointsLayerProps, keyof LayerProps>> & LayerProps> {
  static override defaultProps = defaultProps;
  static override layerName = 'UnitPointsLayer';

  declare state: { model?: Model };

  override getShaders() {
    return super.getShaders({ vs, fs, modules: [project32, color, picking, unitPointsUniforms] });
  }

  override initializeState(): void {
    this.getAttributeManager()!.add({
      positions: { size: 3, type: 'float64', fp64: this.use64bitPositions(), accessor: 'getPosition' },
      radii: { size: 1, accessor: 'getRadius', defaultValue: 1 },
      fillColors: { size: 4, type: 'unorm8', accessor: 'getFillColor', defaultValue: [0, 0, 0, 255] },
      shapes: { size: 1, accessor: 'getShape', defaultValue: 0 },
    });
  }

  override updateState(params: UpdateParameters<this>): void {
    super.updateState(params);
    if (params.changeFlags.extensionsChanged) {
      this.state.model?.destroy();
      this.state.model = new Model(this.context.device, {
        ...this.getShaders(),
        id: this.props.id,
        bufferLayout: this.getAttributeManager()!.getBufferLayouts(),
        topology: 'point-list',
        isInstanced: false,
      });
      this.getAttributeManager()!.invalidateAll();
    }
  }

  override draw(): void {
    const { radiusUnits, radiusScale, radiusMinPixels, radiusMaxPixels, lineWidthPixels, lineColor } = this.props;
    const model = this.state.model!;
    model.setVertexCount(this.getNumInstances());
    const c = lineColor;
    model.shaderInputs.setProps({
      unitPoints: {
        radiusScale, radiusMinPixels, radiusMaxPixels, radiusUnits: UNIT[radiusUnits],
        lineWidthPixels, lineColor: [c[0] / 255, c[1] / 255, c[2] / 255, (c[3] ?? 255) / 255],
      },
    });
    model.draw(this.context.renderPass);
  }
}
