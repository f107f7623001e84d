using Karma.Core.Vectors;

namespace Karma.Bench.Tests;

/// <summary>The ANN comparison: recall and matched-recall arithmetic by hand, then a small run with the real peers script.</summary>
public sealed class AnnBenchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-ann-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Recall_counts_the_true_neighbours_found()
    {
        Assert.Equal(0.5, AnnBench.Recall([1, 2, 9, 8], [1, 2, 3, 4]));
        Assert.Equal(1.0, AnnBench.Recall([4, 3, 2, 1], [1, 2, 3, 4]));
        Assert.Equal(0.75, AnnBench.Recall([7, 1, 2, 3, 4], [1, 2, 3, 4])); // only the first k found count: 3 of 4
    }

    [Fact]
    public void Queries_per_second_are_interpolated_between_the_points_around_the_recall()
    {
        AnnPoint[] curve = [new(10, 0.80, 10_000), new(20, 0.90, 8_000), new(40, 0.96, 5_000), new(80, 0.99, 2_000)];
        Assert.Equal(8_000, AnnBench.QueriesPerSecondAt(curve, 0.90)!.Value, 6);
        Assert.Equal(5_500, AnnBench.QueriesPerSecondAt(curve, 0.95)!.Value, 6); // 5/6 of the way from (0.90, 8000) to (0.96, 5000)
        Assert.Equal(2_000, AnnBench.QueriesPerSecondAt(curve, 0.99)!.Value, 6);
        Assert.Null(AnnBench.QueriesPerSecondAt(curve, 0.995));
        Assert.Equal(10_000, AnnBench.QueriesPerSecondAt(curve, 0.5)!.Value, 6); // every point above: the fastest, a lower bound
        var matched = new MatchedRecall(0.9, "ours", "peer", 8_000, 4_000);
        Assert.Equal(2.0, matched.Ratio);
        Assert.Null(new MatchedRecall(0.99, "ours", "peer", null, 4_000).Ratio);
    }

    [Theory]
    [InlineData("Float32", "Float32")]
    [InlineData("bfloat16x2", "BFloat16x2")]
    [InlineData(" Int8x8 , Float16 ", "Int8x8,Float16")]
    [InlineData("Float16x1", "Float16")]
    public void Variants_are_read_as_storage_and_refine(string text, string expected)
    {
        Assert.Equal(expected, string.Join(',', HnswVariant.ParseList(text, "--quantization")));
    }

    [Theory]
    [InlineData("Float64", "storage is one of")]
    [InlineData("Float32x0", "refine factor")]
    [InlineData("Int8x65", "refine factor")]
    [InlineData("BFloat16xx2", "storage is one of")]
    [InlineData("7", "storage is one of")]
    [InlineData(",", "is empty")]
    public void Bad_variants_are_refused_naming_the_entry(string text, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => HnswVariant.ParseList(text, "--quantization"));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_peers_line_is_read_with_its_curve_or_its_error()
    {
        var ok = AnnBench.ParsePeer("""{"library": "hnswlib", "version": "0.6.2", "build_seconds": 1.5, "points": [{"ef": 10, "recall": 0.9, "queries_per_second": 1000.0}]}""");
        Assert.Equal(("hnswlib", 1.5, 1), (ok.Name, ok.BuildSeconds, ok.Points.Count));
        Assert.Equal(new AnnPoint(10, 0.9, 1000), ok.Points[0]);
        var missing = AnnBench.ParsePeer("""{"library": "faiss", "error": "not installed"}""");
        Assert.Equal("not installed", missing.Error);
    }

    [Fact]
    public void Small_run_against_the_real_peers_reports_every_system_and_matched_recalls()
    {
        var rng = new Random(3);
        int rows = 2000, dims = 16, queries = 50;
        float[] data = [.. Enumerable.Range(0, rows * dims).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        float[] q = [.. Enumerable.Range(0, queries * dims).Select(_ => (float)(rng.NextDouble() * 2 - 1))];
        string basePath = Fvecs("base.fvecs", data, dims), queryPath = Fvecs("queries.fvecs", q, dims);
        var options = new AnnBenchOptions
        {
            Source = "random",
            Base = VectorFile.Read(basePath),
            Queries = VectorFile.Read(queryPath),
            K = 10,
            Expansions = [10, 40, 160],
            ExpansionAdd = 64,
        };
        // Ground truth by our exact search, written as .ivecs for the peers: both sides score against the same file.
        var exactOnly = AnnBench.Run(options with { Expansions = [400] });
        Assert.True(exactOnly.Systems[0].Points[0].Recall > 0.95);
        string gtPath = Ivecs("gt.ivecs", ExactTruth(options), 10);
        options = options with { GroundTruth = VectorFile.ReadIvecs(gtPath) is var (ids, _, cols) ? (ids, cols) : default };

        var peers = AnnBench.RunPeers(Path.Combine(RepositoryPaths.Root, "tools", "ann", "peers.py"), basePath, queryPath, gtPath, options);
        Assert.Equal(["hnswlib", "faiss"], peers.Select(p => p.Name));
        Assert.All(peers, p => Assert.True(p.Error is null, p.Error));
        Assert.All(peers, p => Assert.Equal([10, 40, 160], p.Points.Select(x => x.Ef)));
        Assert.All(peers, p => Assert.True(p.Points[^1].Recall > 0.9, $"{p.Name} recall {p.Points[^1].Recall} at ef 160"));

        var result = AnnBench.Run(options with { Variants = HnswVariant.ParseList("Float32,BFloat16x2", "--quantization") }, peers);
        Assert.Equal(["karma Float32", "karma BFloat16x2", "hnswlib", "faiss"], result.Systems.Select(s => s.Name.Split(" (")[0]));
        Assert.Equal(2 * 2 * AnnBench.MatchedRecalls.Count, result.Matched.Count);
        string markdown = AnnBench.ToMarkdown(result);
        Assert.Contains("| hnswlib | 160 |", markdown, StringComparison.Ordinal);
        Assert.Contains("ours / peer", markdown, StringComparison.Ordinal);
    }

    private static int[] ExactTruth(AnnBenchOptions options)
    {
        var b = options.Base;
        var ids = new int[options.Queries.Rows * options.K];
        for (int i = 0; i < options.Queries.Rows; i++)
        {
            var query = Unit(options.Queries.Row(i).ToArray());
            var best = Enumerable.Range(0, b.Rows)
                .Select(r => (Row: r, Score: System.Numerics.Tensors.TensorPrimitives.Dot(query, Unit(b.Row(r).ToArray()))))
                .OrderByDescending(x => x.Score).Take(options.K).Select(x => x.Row).ToArray();
            best.CopyTo(ids, i * options.K);
        }

        return ids;
    }

    private static float[] Unit(float[] v)
    {
        float n = System.Numerics.Tensors.TensorPrimitives.Norm(v);
        return [.. v.Select(x => x / n)];
    }

    private string Fvecs(string name, float[] data, int dims)
    {
        string path = Path.Combine(_dir, name);
        using var w = new BinaryWriter(File.Create(path));
        for (int r = 0; r < data.Length / dims; r++)
        {
            w.Write(dims);
            for (int c = 0; c < dims; c++)
            {
                w.Write(data[r * dims + c]);
            }
        }

        return path;
    }

    private string Ivecs(string name, int[] ids, int cols)
    {
        string path = Path.Combine(_dir, name);
        using var w = new BinaryWriter(File.Create(path));
        for (int r = 0; r < ids.Length / cols; r++)
        {
            w.Write(cols);
            for (int c = 0; c < cols; c++)
            {
                w.Write(ids[r * cols + c]);
            }
        }

        return path;
    }
}
