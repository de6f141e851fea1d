// Whether WebGL is drawn in software (SwiftShader, llvmpipe: a PC without a working GPU
// driver). There every camera move repaints and composites full-screen canvases on the CPU
// at a few frames a second, so the wall cuts to its targets instead of flying.

/** Renderer names of software WebGL implementations (WebGL's RENDERER string, unmasked). */
const SOFTWARE_RENDERERS = /swiftshader|llvmpipe|softpipe|software|basic render/i;

let cached: { software: boolean; renderer: string } | null = null;

/** The WebGL renderer's name and whether it is software; read once from a small canvas. */
export function webglRenderer(): { software: boolean; renderer: string } {
  if (cached) return cached;
  let renderer = 'none';
  try {
    const canvas = document.createElement('canvas');
    const gl = (canvas.getContext('webgl2') ?? canvas.getContext('webgl')) as WebGLRenderingContext | null;
    if (gl) {
      const info = gl.getExtension('WEBGL_debug_renderer_info');
      renderer = String(gl.getParameter(info ? info.UNMASKED_RENDERER_WEBGL : gl.RENDERER));
      gl.getExtension('WEBGL_lose_context')?.loseContext();
    }
  } catch {
    // no WebGL: the map shows its own error
  }
  cached = { software: SOFTWARE_RENDERERS.test(renderer), renderer };
  return cached;
}
