using System.Diagnostics;
using System.Text.Json;
using Karma.Core.Package;
using Karma.Core.Text;
using Karma.Export.Onnx;
using Karma.Export.Towers;

namespace Karma.Export.Tests;

/// <summary>
/// Runs every exported graph in a second, independent evaluator (tools/onnx_reference.py: numpy, written from
/// the ONNX operator specification) and in ONNX Runtime on the same inputs; the outputs must agree. Needs
/// Debian's python3-onnx, which .ci/run installs.
/// </summary>
public sealed class IndependentRuntimeTests(TinyCheckpointFixture fx) : IClassFixture<TinyCheckpointFixture>
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public void UserTower_AgreesWithNumpyReference()
    {
        var m = ModelManifest.Read(fx.Package);
        var tokenizer = BpeTokenizer.Load(Path.Combine(fx.Package, BpeTokenizer.FileName));
        using var history = VectorTable.Open(Path.Combine(fx.Package, "item_history_tokens.bin"));
        int d = m.Dimensions.DModel;
        var queries = new[] { "red running shoes", "", "lamp" };
        var rows = queries.Select((q, b) =>
        {
            int[] tokens = tokenizer.Encode(q, m.Limits.MaxQueryTokens);
            int h = b + 1;
            var ids = new long[InterestSequence.Length(h, tokens.Length)];
            int at = InterestSequence.Layout(h, tokens, ids);
            return (ids, h, at);
        }).ToList();
        int t = rows.Max(r => r.ids.Length);
        var input = new long[rows.Count * t];
        var hist = new float[rows.Count * t * d];
        var pos = new long[rows.Count];
        for (int b = 0; b < rows.Count; b++)
        {
            rows[b].ids.CopyTo(input, b * t);
            pos[b] = rows[b].at;
            for (int i = 0; i < rows[b].h; i++)
            {
                history.CopyRow(i * 7 % history.Rows, hist.AsSpan((b * t + InterestSequence.FirstHistoryPosition + i) * d, d));
            }
        }

        Check("user_tower.onnx",
            [(TowerNames.InputIds, input, [rows.Count, t]), (TowerNames.HistoryTokens, hist, [rows.Count, t, d]), (TowerNames.InterestPosition, pos, [rows.Count])],
            TowerNames.Interest);
    }

    [Fact]
    public void UserTower_WithATextEncoder_AgreesWithNumpyReference()
    {
        // The query embedding enters through OneHot at [INT]: the graph of an untrained model with a text encoder is enough.
        var m = ModelManifest.Read(fx.Package);
        var config = Karma.Training.Training.Checkpoint.ReadInfo(fx.Checkpoint).Model with { TextEncoder = Karma.Training.Configuration.ModelConfig.MiniLmTextEncoder };
        TorchSharp.torch.manual_seed(9);
        using var model = new Karma.Training.Modeling.KarmaModel(config);
        string path = Path.Combine(fx.Root, "user_tower_text.onnx");
        File.WriteAllBytes(path, Google.Protobuf.MessageExtensions.ToByteArray(TowerGraphs.UserTower(model)));
        int d = m.Dimensions.DModel, b = 2, t = 6;
        var rng = new Random(5);
        long[] ids = [SpecialTokens.Bos, SpecialTokens.Item, SpecialTokens.Sep, 20, SpecialTokens.Interest, SpecialTokens.Pad,
            SpecialTokens.Bos, SpecialTokens.Item, SpecialTokens.Item, SpecialTokens.Sep, SpecialTokens.Interest, SpecialTokens.Pad];
        var hist = Enumerable.Range(0, b * t * d).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var query = Enumerable.Range(0, b * config.TextDim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        Check(path, [(TowerNames.InputIds, ids, [b, t]), (TowerNames.HistoryTokens, hist, [b, t, d]), (TowerNames.InterestPosition, new long[] { 4, 4 }, [b]),
            (TowerNames.QueryEmbedding, query, [b, config.TextDim])], TowerNames.Interest);
    }

    [Fact]
    public void ItemTower_AgreesWithNumpyReference()
    {
        var m = ModelManifest.Read(fx.Package);
        int n = 6, l = 5;
        var rng = new Random(4);
        var ids = Enumerable.Range(0, n * l).Select(_ => (long)rng.Next(SpecialTokens.Count, m.Dimensions.VocabSize)).ToArray();
        var mask = Enumerable.Range(0, n * l).Select(i => i % l < 1 + (i / l) % l ? 1f : 0f).ToArray();
        var inputs = new List<(string, Array, long[])> { (TowerNames.ItemTextIds, ids, [n, l]), (TowerNames.ItemTextMask, mask, [n, l]) };
        if (m.Dimensions.ImageDim > 0)
        {
            inputs.Add((TowerNames.ItemImage, Enumerable.Range(0, n * m.Dimensions.ImageDim).Select(_ => (float)rng.NextDouble()).ToArray(), [n, m.Dimensions.ImageDim]));
        }

        if (m.Dimensions.IdBuckets > 0)
        {
            inputs.Add((TowerNames.ItemIdBucket, Enumerable.Range(0, n).Select(_ => (long)rng.Next(m.Dimensions.IdBuckets)).ToArray(), [n]));
        }

        Check("item_tower.onnx", inputs, TowerNames.HistoryToken, TowerNames.Embedding);
    }

    [Fact]
    public void PreRank_AgreesWithNumpyReference()
    {
        var m = ModelManifest.Read(fx.Package);
        int b = 2, c = 5, dim = m.Dimensions.EmbedDim, f = m.PrerankFeatures.Count;
        var rng = new Random(8);
        float[] R(int count) => Enumerable.Range(0, count).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        Check("prerank.onnx", [(TowerNames.User, R(b * dim), [b, dim]), (TowerNames.Candidates, R(b * c * dim), [b, c, dim]), (TowerNames.Features, R(b * c * f), [b, c, f])],
            TowerNames.Scores);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(6)]
    public void Decoder_AgreesWithNumpyReference(int tokens)
    {
        // One column is the placeholder alone (the first step of decoding); six are the placeholder and five tokens.
        var m = ModelManifest.Read(fx.Package);
        int b = 2, dim = m.Dimensions.EmbedDim;
        var rng = new Random(9);
        var interest = Enumerable.Range(0, b * dim).Select(_ => (float)(rng.NextDouble() - 0.5)).ToArray();
        var ids = Enumerable.Range(0, b * tokens).Select(i => i % tokens == 0 ? 2L : rng.Next(8, m.Dimensions.VocabSize)).ToArray();
        Check("decoder.onnx", [(TowerNames.Interest, interest, [b, dim]), (TowerNames.DecoderIds, ids, [b, tokens])], TowerNames.NextTokenLogits);
    }

    private void Check(string graphFile, List<(string Name, Array Data, long[] Shape)> inputs, params string[] outputs)
    {
        string path = Path.IsPathRooted(graphFile) ? graphFile : Path.Combine(fx.Package, graphFile);
        using var graph = new OrtGraph(File.ReadAllBytes(path));
        var values = inputs.Select(i => (i.Name, i.Data is long[] l ? OrtGraph.Tensor(l, i.Shape) : OrtGraph.Tensor((float[])i.Data, i.Shape))).ToList();
        float[][] results;
        try
        {
            results = graph.Run(values, outputs);
        }
        finally
        {
            values.ForEach(v => v.Item2.Dispose());
        }

        var outputMeta = graph.Session.OutputMetadata;
        var caseJson = new Dictionary<string, object>
        {
            ["inputs"] = inputs.ToDictionary(i => i.Name, i => (object)new { dtype = i.Data is long[] ? "int64" : "float32", shape = i.Shape, data = i.Data }),
            ["outputs"] = outputs.Select((o, k) => (o, k)).ToDictionary(x => x.o, x => (object)new { dtype = "float32", shape = OutputShape(inputs, x.o, results[x.k].Length), data = results[x.k] }),
        };
        string casePath = Path.Combine(fx.Root, Path.GetFileNameWithoutExtension(graphFile) + ".case.json");
        File.WriteAllText(casePath, JsonSerializer.Serialize(caseJson));
        Assert.True(File.Exists(Python), $"{Python} not found: install Debian's python3-onnx (see .ci/run)");
        var start = new ProcessStartInfo(Python) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(RepositoryPaths.Root, "tools", "onnx_reference.py"));
        start.ArgumentList.Add(path);
        start.ArgumentList.Add(casePath);
        using var p = Process.Start(start)!;
        string stdout = p.StandardOutput.ReadToEnd(), stderr = p.StandardError.ReadToEnd();
        Assert.True(p.WaitForExit(TimeSpan.FromMinutes(2)), "reference evaluator hung");
        Assert.True(p.ExitCode == 0, $"{graphFile}: reference evaluator exit {p.ExitCode}\n{stdout}\n{stderr}");
        Assert.Contains("max |numpy - onnxruntime|", stdout, StringComparison.Ordinal);
    }

    /// <summary>Output shape: leading dimensions of the first input, then whatever divides the element count.</summary>
    private static long[] OutputShape(List<(string Name, Array Data, long[] Shape)> inputs, string output, int count)
    {
        long lead = inputs[0].Shape[0];
        if (output == TowerNames.Scores)
        {
            return [lead, inputs[1].Shape[1]];
        }

        return [lead, count / lead];
    }
}
