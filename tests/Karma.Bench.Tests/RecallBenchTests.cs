using Karma.Core.Package;

namespace Karma.Bench.Tests;

/// <summary>The recall benchmark on a small clustered table (the vector-file readers are Karma.Core's, tested there).</summary>
public sealed class RecallBenchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-recallbench-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void RecallBench_SmokeRun_ReportsRecallAndSpeed()
    {
        string path = Path.Combine(_dir, "t.bin");
        VectorTableWriter.Write(path, RecallBench.Clustered(3000, 32, seed: 1, clusters: 50), 3000, 32, VectorElementType.Float32);
        using var table = VectorTable.Open(path);
        var r = RecallBench.Run("smoke", table, 50, [16, 128], bandwidthBytes: 64L << 20);
        Assert.Equal(2, r.Hnsw.Count);
        Assert.All(r.Hnsw, p => Assert.InRange(p.RecallAt10, 0.5, 1.0));
        Assert.True(r.Hnsw[1].RecallAt100 >= r.Hnsw[0].RecallAt100 - 0.02); // more expansion never loses much recall
        Assert.Contains("| 128 |", RecallBench.ToMarkdown(r), StringComparison.Ordinal);
        Assert.NotNull(r.Scan);
        Assert.Equal(3000L * 32 * sizeof(float), r.Scan.TableBytes);
        Assert.True(r.Scan.ShareOfBandwidth > 0);
    }
}
