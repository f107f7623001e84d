using Karma.Export.Onnx;
using Karma.Onnx;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using static TorchSharp.torch;

namespace Karma.Export.Towers;

/// <summary>The decoder backbone (blocks and final norm) as an ONNX subgraph over input embeddings [B, T, d].</summary>
public static class BackboneGraph
{
    /// <summary>Emits the backbone; returns hidden states [B, T, d].</summary>
    public static string Hidden(GraphBuilder g, Weights w, string embeddings, ModelConfig config)
    {
        ArgumentNullException.ThrowIfNull(g);
        ArgumentNullException.ThrowIfNull(config);
        int headDim = config.DModel / config.NHeads;
        var (cosT, sinT) = RotaryEmbedding.Tables(config.MaxSeqLen, headDim, config.RopeTheta, CPU);
        float[] cosData = cosT.data<float>().ToArray(), sinData = sinT.data<float>().ToArray();
        cosT.Dispose();
        sinT.Dispose();
        var mask = new float[config.MaxSeqLen * config.MaxSeqLen];
        for (int q = 0; q < config.MaxSeqLen; q++)
        {
            for (int k = q + 1; k < config.MaxSeqLen; k++)
            {
                mask[q * config.MaxSeqLen + k] = float.NegativeInfinity;
            }
        }

        var length = g.Dim(embeddings, 1);
        var cos = g.SliceToLength(g.Constant("rope_cos", cosData, config.MaxSeqLen, headDim), 0, length);
        var sin = g.SliceToLength(g.Constant("rope_sin", sinData, config.MaxSeqLen, headDim), 0, length);
        var causal = g.SliceToLength(g.SliceToLength(g.Constant("causal_mask", mask, config.MaxSeqLen, config.MaxSeqLen), 0, length), 1, length);
        var x = embeddings;
        for (int i = 0; i < config.NLayers; i++)
        {
            string p = $"backbone.layers.{i}";
            var h = g.Add(x, Layers.Attention(g, w, Layers.RmsNorm(g, w, x, p + ".attention_norm", config.NormEps), p + ".attention",
                config.NHeads, headDim, cos, sin, causal));
            x = g.Add(h, Layers.SwiGlu(g, w, Layers.RmsNorm(g, w, h, p + ".ffn_norm", config.NormEps), p + ".feed_forward"));
        }

        return Layers.RmsNorm(g, w, x, "backbone.norm", config.NormEps);
    }
}
