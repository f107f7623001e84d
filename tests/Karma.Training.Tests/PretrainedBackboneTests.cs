using System.Text;
using Karma.Core.Text;
using Karma.Training.Pretrained;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;

namespace Karma.Training.Tests;

/// <summary>The pretrained files, their tokenizer and the weights loaded into TorchSharp, checked against the ONNX graph.</summary>
public sealed class PretrainedBackboneTests
{
    private static readonly Lazy<(byte[] Model, byte[] Vocabulary)> Files = new(() => MiniLmFiles.Read());

    /// <summary>The pretrained encoder, loaded once for the class (reading the 91 MB graph's weights takes about a second); only read.</summary>
    private static readonly Lazy<BertEncoder> Encoder = new(() =>
    {
        var encoder = new BertEncoder(BertConfig.MiniLmL6);
        encoder.Load(BertWeights.FromOnnx(Files.Value.Model));
        encoder.eval();
        return encoder;
    });

    private static string[] VocabularyLines => Encoding.UTF8.GetString(Files.Value.Vocabulary).Split('\n').Select(l => l.TrimEnd('\r')).ToArray();

    [Fact]
    public void Tokenizer_UsesTheVocabularysIds_AndItsPiecesSpellTheText()
    {
        var vocabulary = VocabularyLines;
        var tokenizer = new PretrainedTokenizer(Files.Value.Vocabulary);
        Assert.Equal("[PAD]", vocabulary[tokenizer.PadId]);
        Assert.Equal("[CLS]", vocabulary[tokenizer.ClsId]);
        Assert.Equal("[SEP]", vocabulary[tokenizer.SepId]);
        int Id(string token) => Array.IndexOf(vocabulary, token);
        Assert.Equal([tokenizer.ClsId, Id("hello"), Id("world"), tokenizer.SepId], tokenizer.Encode("Hello, World", 16).Where(i => vocabulary[i] != ",").ToArray());
        foreach (string text in new[] { "cast-iron skillet", "Ostra tan tempered glass skillet gift", "ivory mesh sneaker", "waterproofing" })
        {
            int[] ids = tokenizer.Encode(text, 64);
            string spelled = string.Concat(ids[1..^1].Select(i => vocabulary[i].StartsWith("##", StringComparison.Ordinal) ? vocabulary[i][2..] : vocabulary[i]));
            Assert.Equal(text.ToLowerInvariant().Replace(" ", string.Empty, StringComparison.Ordinal), spelled);
        }

        int[] cut = tokenizer.Encode("one two three four five six", 5);
        Assert.Equal(5, cut.Length);
        Assert.Equal(tokenizer.SepId, cut[^1]);
    }

    [Fact]
    public void LoadedEncoder_MatchesTheOnnxGraph_OnTheSameTokens()
    {
        var tokenizer = new PretrainedTokenizer(Files.Value.Vocabulary);
        string[] texts = ["frying pan", "Bellacasa timeless skillet with a glass lid", "running shoes"];
        int[][] ids = texts.Select(t => tokenizer.Encode(t, 32)).ToArray();
        int width = ids.Max(i => i.Length);
        var flatIds = new long[texts.Length * width];
        var flatMask = new long[texts.Length * width];
        for (int b = 0; b < texts.Length; b++)
        {
            for (int t = 0; t < width; t++)
            {
                flatIds[(b * width) + t] = t < ids[b].Length ? ids[b][t] : tokenizer.PadId;
                flatMask[(b * width) + t] = t < ids[b].Length ? 1 : 0;
            }
        }

        float[] expected = OnnxHidden(flatIds, flatMask, texts.Length, width);
        var encoder = Encoder.Value;
        float[] actual;
        using (no_grad())
        using (var idTensor = tensor(flatIds, [texts.Length, width]))
        using (var maskTensor = tensor(flatMask, [texts.Length, width]))
        using (var hidden = encoder.Forward(idTensor, maskTensor))
        {
            actual = hidden.data<float>().ToArray();
        }

        int d = BertConfig.MiniLmL6.Hidden;
        double maxDiff = 0;
        for (int b = 0; b < texts.Length; b++)
        {
            for (int t = 0; t < ids[b].Length; t++) // padded positions are not compared: nothing reads them
            {
                for (int j = 0; j < d; j++)
                {
                    int at = (((b * width) + t) * d) + j;
                    maxDiff = Math.Max(maxDiff, Math.Abs(expected[at] - actual[at]));
                }
            }
        }

        Assert.True(maxDiff < 1e-4, $"max |TorchSharp - ONNX Runtime| = {maxDiff:E2}");
    }

    [Fact]
    public void PretrainedEncoder_KnowsSynonymsOurCatalogNeverTaught()
    {
        var tokenizer = new PretrainedTokenizer(Files.Value.Vocabulary);
        var encoder = Encoder.Value;
        float[] Embed(string text)
        {
            int[] ids = tokenizer.Encode(text, 32);
            using var _ = no_grad();
            using var idTensor = tensor(ids.Select(i => (long)i).ToArray(), [1, ids.Length]);
            using var mask = ones_like(idTensor);
            using var hidden = encoder.Forward(idTensor, mask);
            using var mean = hidden.mean([1]);
            using var unit = nn.functional.normalize(mean, p: 2, dim: -1);
            return unit.data<float>().ToArray();
        }

        static double Cosine(float[] a, float[] b) => a.Zip(b).Sum(p => (double)p.First * p.Second);
        var pan = Embed("frying pan");
        Assert.True(Cosine(pan, Embed("skillet")) > Cosine(pan, Embed("running shoes")) + 0.2);
        var shoes = Embed("running shoes");
        Assert.True(Cosine(shoes, Embed("sneakers")) > Cosine(shoes, Embed("water boiler")) + 0.2);
    }

    [Fact]
    public void TextEmbedder_BatchesByLength_AndGivesEachTextWhatItGetsAlone()
    {
        var tokenizer = new PretrainedTokenizer(Files.Value.Vocabulary);
        var encoder = Encoder.Value;
        var embedder = new TextEmbedder(encoder, tokenizer, maxTokens: 32, batch: 3);
        string[] texts = ["skillet", "Ostra tan tempered glass skillet gift, cookware", "", "ivory mesh sneaker", "kettle", "a b c d e f g"];
        var reports = new List<string>();
        var together = embedder.Embed(texts, new SynchronousProgress(reports));
        Assert.Equal(texts.Length, together.Length);
        Assert.NotEmpty(reports);
        for (int i = 0; i < texts.Length; i++)
        {
            var alone = embedder.Embed([texts[i]])[0];
            Assert.Equal(embedder.Dimensions, together[i].Length);
            Assert.InRange(Math.Sqrt(together[i].Sum(x => (double)x * x)), 0.999, 1.001);
            // Padding beside longer texts changes nothing for this text (to float rounding).
            Assert.True(together[i].Zip(alone).Max(p => Math.Abs(p.First - p.Second)) < 1e-5, $"text {i} differs batched vs alone");
        }
    }

    [Fact]
    public void EmbeddingCache_ComputesOnce_ReadsBackTheSame_AndReplacesABrokenFile()
    {
        var tokenizer = new PretrainedTokenizer(Files.Value.Vocabulary);
        var encoder = Encoder.Value;
        var embedder = new TextEmbedder(encoder, tokenizer, maxTokens: 16, batch: 4, modelId: "test");
        using var scratch = new TempDirectory("karma-emb-cache-");
        string dir = scratch.Path;
        string[] texts = ["skillet", "kettle", "ivory mesh sneaker"];
        var first = new List<string>();
        var computed = TextEmbeddingCache.Embed(embedder, texts, dir, new SynchronousProgress(first));
        Assert.DoesNotContain(first, r => r.Contains("read from", StringComparison.Ordinal));
        var second = new List<string>();
        var read = TextEmbeddingCache.Embed(embedder, texts, dir, new SynchronousProgress(second));
        Assert.Contains(second, r => r.Contains("read from", StringComparison.Ordinal));
        Assert.Equal(computed.SelectMany(e => e), read.SelectMany(e => e));
        // Another list (or another identity) is another file.
        Assert.NotEqual(TextEmbeddingCache.Key("test", texts), TextEmbeddingCache.Key("test", ["skillet", "kettle"]));
        Assert.NotEqual(TextEmbeddingCache.Key("test", ["a b", "c"]), TextEmbeddingCache.Key("test", ["a", "b c"]));
        Assert.NotEqual(TextEmbeddingCache.Key("test", texts), TextEmbeddingCache.Key("other", texts));
        // A truncated file is not trusted: recomputed and replaced.
        string file = Directory.GetFiles(dir, "*.emb").Single();
        File.WriteAllBytes(file, File.ReadAllBytes(file)[..100]);
        var third = new List<string>();
        var recomputed = TextEmbeddingCache.Embed(embedder, texts, dir, new SynchronousProgress(third));
        Assert.DoesNotContain(third, r => r.Contains("read from", StringComparison.Ordinal));
        Assert.Equal(computed.SelectMany(e => e), recomputed.SelectMany(e => e));
        Assert.Equal(16 + (3 * 384 * 4), new FileInfo(file).Length);
    }

    [Fact]
    public void ServingEncoder_OnnxRuntime_MatchesTheTrainersTorchSharpEmbeddings()
    {
        var tokenizer = new PretrainedTokenizer(Files.Value.Vocabulary);
        var encoder = Encoder.Value;
        var trainer = new TextEmbedder(encoder, tokenizer, maxTokens: 32);
        using var serving = new Karma.Serving.Core.Inference.PretrainedSentenceEncoder(Files.Value.Model, tokenizer,
            Karma.Serving.Core.Model.SessionThreading.OrtDefault, maxTokens: 32);
        string[] texts = ["frying pan", "gray sneaker size 42", "", "Ostra tan tempered glass skillet gift with a very long description of many words"];
        var expected = trainer.Embed(texts);
        var actual = serving.Encode(texts);
        Assert.Equal(trainer.Dimensions, serving.Dimensions);
        for (int i = 0; i < texts.Length; i++)
        {
            double diff = expected[i].Zip(actual[i]).Max(p => Math.Abs(p.First - p.Second));
            Assert.True(diff < 1e-5, $"text {i}: max difference {diff:E2}");
        }

        Assert.Empty(serving.Encode([]));
    }

    private sealed class SynchronousProgress(List<string> reports) : IProgress<string>
    {
        public void Report(string value) => reports.Add(value);
    }

    [Fact]
    public void MissingOrForeignCarrier_IsRefusedNamingIt()
    {
        string missing = Path.Combine(Path.GetTempPath(), $"no-such-{Guid.NewGuid():N}.dll");
        var notFound = Assert.Throws<FileNotFoundException>(() => MiniLmFiles.Read(missing));
        Assert.Contains(missing, notFound.Message, StringComparison.Ordinal);
        // Another assembly (this test's own) has no such resources.
        string foreign = typeof(PretrainedBackboneTests).Assembly.Location;
        var invalid = Assert.Throws<InvalidDataException>(() => MiniLmFiles.Read(foreign));
        Assert.Contains("has no resource", invalid.Message, StringComparison.Ordinal);
    }

    private static float[] OnnxHidden(long[] ids, long[] mask, int batch, int width)
    {
        using var session = new InferenceSession(Files.Value.Model);
        long[] shape = [batch, width];
        using var idValue = OrtValue.CreateTensorValueFromMemory(ids, shape);
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, shape);
        using var typeValue = OrtValue.CreateTensorValueFromMemory(new long[ids.Length], shape);
        using var run = new RunOptions();
        using var outputs = session.Run(run, ["input_ids", "attention_mask", "token_type_ids"], [idValue, maskValue, typeValue], ["last_hidden_state"]);
        return outputs[0].GetTensorDataAsSpan<float>().ToArray();
    }
}
