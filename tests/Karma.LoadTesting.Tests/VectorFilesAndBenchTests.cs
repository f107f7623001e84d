using Karma.Core.Package;
using Karma.LoadTesting.Bench;

namespace Karma.LoadTesting.Tests;

public sealed class VectorFilesAndBenchTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-vecfiles-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly float[] Data = [1f, 2f, 3f, -4f, 5.5f, 6f];

    private string Fvecs(float[] data, int dims, int truncate = 0)
    {
        string path = Path.Combine(_dir, $"v{Guid.NewGuid():N}.fvecs");
        using (var w = new BinaryWriter(File.Create(path)))
        {
            for (int r = 0; r < data.Length / dims; r++)
            {
                w.Write(dims);
                for (int c = 0; c < dims; c++)
                {
                    w.Write(data[r * dims + c]);
                }
            }
        }

        if (truncate > 0)
        {
            using var s = File.OpenWrite(path);
            s.SetLength(s.Length - truncate);
        }

        return path;
    }

    private string Npy(string descr, string shape, float[] data)
    {
        string path = Path.Combine(_dir, $"v{Guid.NewGuid():N}.npy");
        string header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape}, }}";
        header = header.PadRight(((10 + header.Length + 1 + 63) / 64 * 64) - 10 - 1) + "\n";
        using var w = new BinaryWriter(File.Create(path));
        w.Write((byte)0x93);
        w.Write("NUMPY"u8.ToArray());
        w.Write((byte)1);
        w.Write((byte)0);
        w.Write((ushort)header.Length);
        w.Write(System.Text.Encoding.ASCII.GetBytes(header));
        foreach (float f in data)
        {
            w.Write(f);
        }

        return path;
    }

    [Fact]
    public void Fvecs_RoundTrips_AndRejectsTruncation()
    {
        var (data, rows, cols) = VectorFiles.Read(Fvecs(Data, 3));
        Assert.Equal((2, 3), (rows, cols));
        Assert.Equal(Data, data);
        var error = Assert.Throws<InvalidDataException>(() => VectorFiles.Read(Fvecs(Data, 3, truncate: 2)));
        Assert.Contains("truncated or ragged", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Npy_RoundTrips_AndRejectsOtherTypes()
    {
        var (data, rows, cols) = VectorFiles.Read(Npy("<f4", "(3, 2)", Data));
        Assert.Equal((3, 2), (rows, cols));
        Assert.Equal(Data, data);
        var error = Assert.Throws<InvalidDataException>(() => VectorFiles.Read(Npy("<f8", "(3, 2)", Data)));
        Assert.Contains("'<f4'", error.Message, StringComparison.Ordinal);
        var shortFile = Assert.Throws<InvalidDataException>(() => VectorFiles.Read(Npy("<f4", "(4, 2)", Data)));
        Assert.Contains("truncated", shortFile.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownExtension_IsRejected()
        => Assert.Throws<InvalidDataException>(() => VectorFiles.Read(Path.Combine(_dir, "x.bin")));

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
