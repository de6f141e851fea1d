// The units layer: one GL point per unit (gl.POINTS, one vertex each), round and smooth-edged
// in the fragment shader. deck.gl's ScatterplotLayer draws an instanced quad per object;
// measured in headless Chromium with software WebGL (SwiftShader, what a wall PC without a
// working GPU driver falls back to), instancing costs ~8 µs per object: 100,000 units took
// ~750 ms a frame, whatever the shader. The same 100,000 as points take ~50 ms. On a GPU
// both are cheap; points stay the cheaper of the two.
//
// Data: deck.gl binary attributes `{ length, attributes: { getPosition, getRadius,
// getFillColor } }` (see layers.ts), so no JavaScript object per unit. Picking works as
// for any deck.gl layer (the picking colour comes from gl_VertexID).
import { Layer, UNIT, color, picking, project32, type Accessor, type Color, type DefaultProps, type Position, type LayerProps, type Unit, type UpdateParameters } from '@deck.gl/core';
import { Model } from '@luma.gl/engine';
import type { ShaderModule } from '@luma.gl/shadertools';

type UnitPointsUniforms = {
  radiusScale: number;
  radiusMinPixels: number;
  radiusMaxPixels: number;
  radiusUnits: number;
};

const uniformBlock = /* glsl */ `\
layout(std140) uniform unitPointsUniforms {
  float radiusScale;
  float radiusMinPixels;
  float radiusMaxPixels;
  highp int radiusUnits;
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
  },
} as const satisfies ShaderModule<UnitPointsUniforms>;

const vs = /* glsl */ `\
#version 300 es
#define SHADER_NAME unit-points-layer-vertex-shader

in vec3 positions;
in vec3 positions64Low;
in float radii;
in vec4 fillColors;

out vec4 vColor;
out float vRadius;

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
  DECKGL_FILTER_COLOR(vColor, geometry);
}
`;

const fs = /* glsl */ `\
#version 300 es
#define SHADER_NAME unit-points-layer-fragment-shader

precision highp float;

in vec4 vColor;
in float vRadius;

out vec4 fragColor;

void main(void) {
  // Distance from the point's centre in framebuffer pixels.
  float d = length(gl_PointCoord - 0.5) * 2.0 * (vRadius + 1.0);
  if (d > vRadius + 0.5) discard;
  fragColor = vColor;
  // Hard edge while picking (an exact hit area), smooth edge when drawn.
  if (picking.isActive < 0.5) fragColor.a *= 1.0 - smoothstep(vRadius - 0.5, vRadius + 0.5, d);
  DECKGL_FILTER_COLOR(fragColor, geometry);
}
`;

export type UnitPointsLayerProps = LayerProps & {
  data: { length: number; attributes: Record<string, unknown> };
  radiusUnits?: Unit;
  radiusScale?: number;
  radiusMinPixels?: number;
  radiusMaxPixels?: number;
  getPosition?: Accessor<unknown, Position>;
  getRadius?: Accessor<unknown, number>;
  getFillColor?: Accessor<unknown, Color>;
};

const defaultProps: DefaultProps<UnitPointsLayerProps> = {
  radiusUnits: 'meters',
  radiusScale: { type: 'number', min: 0, value: 1 },
  radiusMinPixels: { type: 'number', min: 0, value: 0 },
  radiusMaxPixels: { type: 'number', min: 0, value: 64 },
  // Accessors exist only so the binary attributes (`data.attributes.getPosition` …) bind.
  getPosition: { type: 'accessor', value: (x: { position: [number, number] }) => x.position },
  getRadius: { type: 'accessor', value: 1 },
  getFillColor: { type: 'accessor', value: [0, 0, 0, 255] },
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
    const { radiusUnits, radiusScale, radiusMinPixels, radiusMaxPixels } = this.props;
    const model = this.state.model!;
    model.setVertexCount(this.getNumInstances());
    model.shaderInputs.setProps({ unitPoints: { radiusScale, radiusMinPixels, radiusMaxPixels, radiusUnits: UNIT[radiusUnits] } });
    model.draw(this.context.renderPass);
  }
}
