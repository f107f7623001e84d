using Karma.Training.Batching;
using Karma.Training.Configuration;
using Karma.Training.Modeling;
using static TorchSharp.torch;

namespace Karma.Training.Tests;

public sealed class ModelingTests
{
    private static readonly ModelConfig Tiny = new()
    {
        VocabSize = 50, DModel = 16, NLayers = 2, NHeads = 2, FfnHidden = 32, MaxSeqLen = 48, EmbedDim = 8,
        ImageDim = 4, MaxHistory = 4, MaxQueryTokens = 4, MaxItemTokens = 6,
    };

    [Fact]
    public void RmsNorm_MatchesDefinition()
    {
        using var norm = new RmsNorm(4, 1e-5);
        using var x = tensor(new[] { 1f, 2f, 3f, 4f });
        using var y = norm.forward(x);
        double rms = Math.Sqrt((1 + 4 + 9 + 16) / 4.0 + 1e-5);
        Assert.Equal(new[] { 1 / rms, 2 / rms, 3 / rms, 4 / rms }, y.data<float>().ToArray().Select(v => (double)v), new Tolerance(1e-5));
    }

    [Fact]
    public void Rotary_RotatesChannelPairsByPositionAngle()
    {
        // head width 4: pairs (0,2) and (1,3) with frequencies 1 and theta^-0.5.
        var (cos, sin) = RotaryEmbedding.Tables(3, 4, 100.0, CPU);
        using var x = tensor(new[] { 1f, 0f, 0f, 1f }).view(1, 1, 1, 4).expand(1, 1, 3, 4).contiguous();
        using var y = RotaryEmbedding.Apply(x, cos, sin);
        float[] v = y.data<float>().ToArray();
        for (int p = 0; p < 3; p++)
        {
            double a0 = p * 1.0, a1 = p * Math.Pow(100.0, -0.5);
            // (x0, x2) = (1, 0) rotated by a0; (x1, x3) = (0, 1) rotated by a1.
            Assert.Equal(Math.Cos(a0), v[p * 4 + 0], 5);
            Assert.Equal(Math.Sin(a0), v[p * 4 + 2], 5);
            Assert.Equal(-Math.Sin(a1), v[p * 4 + 1], 5);
            Assert.Equal(Math.Cos(a1), v[p * 4 + 3], 5);
        }

        cos.Dispose();
        sin.Dispose();
    }

    [Fact]
    public void Backbone_IsCausal_LaterTokensDoNotChangeEarlierStates()
    {
        manual_seed(3);
        using var lm = new DecoderLM(Tiny);
        using var a = randn(1, 6, 16);
        using var b = a.clone();
        using (no_grad())
        {
            b[0, 5] = randn(16);
        }

        using var ha = lm.Forward(a);
        using var hb = lm.Forward(b);
        Assert.True(ha[0, ..5].allclose(hb[0, ..5], atol: 1e-6));
        Assert.False(ha[0, 5].allclose(hb[0, 5], atol: 1e-4));
    }

    [Fact]
    public void Backbone_AttentionRowsAreCausalDistributions()
    {
        manual_seed(4);
        using var lm = new DecoderLM(Tiny);
        using var x = randn(2, 5, 16);
        var probs = new List<Tensor>();
        using var h = lm.Forward(x, probs);
        Assert.Equal(2, probs.Count);
        foreach (var p in probs)
        {
            Assert.Equal(new long[] { 2, 2, 5, 5 }, p.shape);
            Assert.True(p.sum(-1).allclose(ones(2, 2, 5), atol: 1e-5));
            Assert.Equal(0f, p.triu(1).abs().sum().item<float>());
            p.Dispose();
        }
    }

    [Fact]
    public void ParameterNames_FollowLlamaLayout()
    {
        using var model = new KarmaModel(Tiny);
        var names = model.state_dict().Keys.ToHashSet();
        Assert.Contains("backbone.tok_embeddings.weight", names);
        Assert.Contains("backbone.layers.0.attention.wq.weight", names);
        Assert.Contains("backbone.layers.1.feed_forward.w3.weight", names);
        Assert.Contains("backbone.layers.1.attention_norm.weight", names);
        Assert.Contains("backbone.norm.weight", names);
        Assert.Contains("backbone.output.weight", names);
        Assert.Contains("item_encoder.image_mean", names);
    }

    [Fact]
    public void ItemEncoder_GivesUnitEmbeddings_AndIgnoresPadding()
    {
        manual_seed(5);
        using var model = new KarmaModel(Tiny);
        using var tokens = tensor(new long[] { 9, 10, 0, 0, 9, 10, 11, 12 }, [2, 4]);
        using var mask = tensor(new long[] { 1, 1, 0, 0, 1, 1, 0, 0 }, [2, 4]);
        using var image = zeros(2, 4);
        using var bucket = zeros(2, dtype: int64);
        var (hist, emb) = model.EncodeItems(new ItemRows(tokens, mask, image, bucket, null));
        Assert.True(emb.norm(1).allclose(ones(2), atol: 1e-5));
        // Same real tokens, different padding content → same outputs.
        Assert.True(emb[0].allclose(emb[1], atol: 1e-6));
        Assert.Equal(new long[] { 2, 16 }, hist.shape);
        hist.Dispose();
        emb.Dispose();
    }

    [Fact]
    public void TextEncoder_UnknownName_IsRefused_AndMiniLmIs384Wide()
    {
        var e = Assert.Throws<InvalidDataException>(() => (Tiny with { TextEncoder = "bert-large" }).Validate());
        Assert.Contains("bert-large", e.Message, StringComparison.Ordinal);
        Assert.Equal(384, (Tiny with { TextEncoder = ModelConfig.MiniLmTextEncoder }).TextDim);
        Assert.Equal(0, Tiny.TextDim);
    }

    [Fact]
    public void QueryEmbedding_EntersAtTheInterestPosition_Only()
    {
        manual_seed(7);
        using var model = new KarmaModel(Tiny with { TextEncoder = ModelConfig.MiniLmTextEncoder });
        model.eval();
        // [BOS] a b [INT] c: causal attention, so a change at [INT] (position 3) can alter the hidden state of
        // positions 3 and 4 only; a model with a text encoder refuses to run without the query embeddings.
        using var tokens = tensor(new long[] { 2, 10, 11, 5, 12 }, [1, 5]);
        using var slots = zeros(1, 5, dtype: int64);
        using var none = zeros(0, 16);
        using var pos = tensor(new long[] { 3 });
        using var zero = zeros(1, 384);
        using var query = randn(1, 384);
        using var noGrad = no_grad();
        var (h0, i0) = model.EncodeSequence(tokens, slots, none, pos, queryEmbedding: zero);
        var (h1, i1) = model.EncodeSequence(tokens, slots, none, pos, queryEmbedding: query);
        Assert.True(h0[.., ..3].allclose(h1[.., ..3], atol: 1e-6));
        Assert.False(i0.allclose(i1, atol: 1e-4));
        Assert.Throws<ArgumentNullException>(() => model.EncodeSequence(tokens, slots, none, pos));
        foreach (var t in new[] { h0, i0, h1, i1 })
        {
            t.Dispose();
        }
    }
}
