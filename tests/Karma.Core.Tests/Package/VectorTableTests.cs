using System.Buffers.Binary;
using Karma.Core.Package;

namespace Karma.Core.Tests.Package;

public sealed class VectorTableTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-vectors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static float[] RandomData(int rows, int cols, int seed, float scale = 1f)
    {
        var rng = new Random(seed);
        var data = new float[rows * cols];
        for (int i = 0; i < data.Length; i++)
        {
            data[i] = (float)((rng.NextDouble() * 2 - 1) * scale);
        }

        return data;
    }

    public static TheoryData<int, int> Shapes => new()
    {
        { 1, 1 }, { 1, 7 }, { 3, 1 }, { 5, 8 }, { 17, 13 }, { 64, 129 }, { 200, 3 }, { 0, 5 },
    };

    [Fact]
    public void Float32_LargerThanOneWriteSlice_RoundTripsBitExact()
    {
        const int rows = 17_000, cols = 64; // 1,088,000 floats: the writer's 4 MiB slices, plus a partial one
        var data = RandomData(rows, cols, seed: 9);
        string path = PathOf("slices.bin");
        VectorTableWriter.Write(path, data, rows, cols, VectorElementType.Float32);
        using var table = VectorTable.Open(path);
        Assert.True(data.AsSpan().SequenceEqual(table.AsSpan()));
    }

    [Theory]
    [InlineData(VectorTableMemory.Mapped, VectorElementType.Float32)]
    [InlineData(VectorTableMemory.Anonymous, VectorElementType.Float32)]
    [InlineData(VectorTableMemory.HugePages, VectorElementType.Float32)]
    [InlineData(VectorTableMemory.Anonymous, VectorElementType.Float16)]
    [InlineData(VectorTableMemory.HugePages, VectorElementType.Float16)]
    public void EveryMemoryKind_ReadsTheSameValues_AndOutlivesItsFile(VectorTableMemory memory, VectorElementType type)
    {
        const int rows = 3000, cols = 33; // 387 KiB of float32: more than one huge page is not needed, an odd width is
        var data = RandomData(rows, cols, seed: 5);
        string path = PathOf($"memory-{memory}-{type}.bin");
        VectorTableWriter.Write(path, data, rows, cols, type);
        using var mapped = VectorTable.Open(path);
        using var table = VectorTable.Open(path, memory);
        Assert.Equal((memory, rows, cols, type), (table.Memory, table.Rows, table.Cols, table.ElementType));
        var expected = new float[cols];
        var actual = new float[cols];
        foreach (int row in new[] { 0, 1, rows / 2, rows - 1 })
        {
            mapped.CopyRow(row, expected);
            table.CopyRow(row, actual);
            Assert.True(expected.AsSpan().SequenceEqual(actual), $"row {row}");
        }

        if (memory != VectorTableMemory.Mapped)
        {
            File.Delete(path); // a copy no longer needs its file
            table.CopyRow(rows - 1, actual);
            mapped.CopyRow(rows - 1, expected);
            Assert.True(expected.AsSpan().SequenceEqual(actual));
        }
    }

    [Fact]
    public void Copies_ValidateTheFile_AsTheMappingDoes()
    {
        string path = PathOf("truncated.bin");
        VectorTableWriter.Write(path, RandomData(10, 4, seed: 1), 10, 4, VectorElementType.Float32);
        using (var f = new FileStream(path, FileMode.Open))
        {
            f.SetLength(f.Length - 4);
        }

        foreach (var memory in Enum.GetValues<VectorTableMemory>())
        {
            var e = Assert.Throws<InvalidDataException>(() => VectorTable.Open(path, memory));
            Assert.Contains("truncated payload", e.Message, StringComparison.Ordinal);
        }

        string ok = PathOf("ok.bin");
        VectorTableWriter.Write(ok, RandomData(10, 4, seed: 1), 10, 4, VectorElementType.Float32);
        Assert.Throws<ArgumentOutOfRangeException>(() => VectorTable.Open(ok, (VectorTableMemory)9));
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float32_RoundTrip_IsBitExact(int rows, int cols)
    {
        var data = RandomData(rows, cols, seed: rows * 1000 + cols, scale: 1e3f);
        if (data.Length > 2)
        {
            data[0] = -0f;
            data[1] = 1e-42f; // subnormal
            data[2] = float.MaxValue;
        }

        string path = PathOf("f32.bin");
        VectorTableWriter.Write(path, data, rows, cols, VectorElementType.Float32);
        Assert.Equal(64 + data.Length * 4L, new FileInfo(path).Length);

        using var table = VectorTable.Open(path);
        Assert.Equal(rows, table.Rows);
        Assert.Equal(cols, table.Cols);
        Assert.Equal(VectorElementType.Float32, table.ElementType);
        Assert.Equal(path, table.Path);
        var copy = new float[cols];
        for (int i = 0; i < rows; i++)
        {
            var expected = data.AsSpan(i * cols, cols);
            Assert.True(expected.SequenceEqual(table.Row(i)), $"row {i}");
            table.CopyRow(i, copy);
            Assert.True(expected.SequenceEqual(copy), $"copied row {i}");
        }

        Assert.True(data.AsSpan().SequenceEqual(table.AsSpan()));
        Assert.True(data.AsSpan().SequenceEqual(table.RowRange(0, rows)));
        if (rows >= 3)
        {
            Assert.True(data.AsSpan(cols, 2 * cols).SequenceEqual(table.RowRange(1, 2)));
        }

        if (data.Length > 2)
        {
            Assert.Equal(BitConverter.SingleToInt32Bits(-0f), BitConverter.SingleToInt32Bits(table.AsSpan()[0]));
        }
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    public void Float16_RoundTrip_WithinHalfPrecision(int rows, int cols)
    {
        var data = RandomData(rows, cols, seed: rows * 7 + cols, scale: 100f);
        string path = PathOf("f16.bin");
        VectorTableWriter.Write(path, data, rows, cols, VectorElementType.Float16);
        Assert.Equal(64 + data.Length * 2L, new FileInfo(path).Length);

        using var table = VectorTable.Open(path);
        Assert.Equal(VectorElementType.Float16, table.ElementType);
        Assert.Equal(rows, table.Rows);
        Assert.Equal(cols, table.Cols);
        var copy = new float[cols];
        for (int i = 0; i < rows; i++)
        {
            table.CopyRow(i, copy);
            for (int j = 0; j < cols; j++)
            {
                float x = data[i * cols + j];
                // Exactly the scalar Half conversion (round to nearest, ties to even) ...
                Assert.Equal((float)(Half)x, copy[j]);
                // ... which is within half precision: 2^-11 relative, 2^-25 absolute for subnormals.
                Assert.True(Math.Abs(copy[j] - x) <= 1e-3f * Math.Abs(x) + 6e-8f, $"[{i},{j}] {x} -> {copy[j]}");
            }
        }
    }

    [Fact]
    public void Float16_SmallAndLargeValues_RoundToNearest()
    {
        float[] data = [0f, -0f, 1f, -2.5f, 65504f, 65519f, -65519f, 1e-6f, 6.1e-5f, 0.1f, 1.0009766f, 1.00048828125f];
        string path = PathOf("edge16.bin");
        VectorTableWriter.Write(path, data, 1, data.Length, VectorElementType.Float16);
        using var table = VectorTable.Open(path);
        var copy = new float[data.Length];
        table.CopyRow(0, copy);
        Assert.Equal(data.Select(x => (float)(Half)x), copy);
        Assert.Equal(65504f, copy[5]);
        Assert.Equal(1f, copy[11]); // exact tie between 1 and 1 + 2^-10 rounds to even
    }

    [Theory]
    [InlineData(VectorElementType.Float32)]
    [InlineData(VectorElementType.Float16)]
    public void Gather_EqualsPerRowCopies(VectorElementType type)
    {
        const int rows = 37, cols = 19;
        var data = RandomData(rows, cols, seed: 5);
        string path = PathOf("gather.bin");
        VectorTableWriter.Write(path, data, rows, cols, type);
        using var table = VectorTable.Open(path);

        int[] picks = [36, 0, 5, 5, 17, 0, 36, 2];
        var gathered = new float[picks.Length * cols];
        table.Gather(picks, gathered);
        var row = new float[cols];
        for (int k = 0; k < picks.Length; k++)
        {
            table.CopyRow(picks[k], row);
            Assert.True(row.AsSpan().SequenceEqual(gathered.AsSpan(k * cols, cols)), $"pick {k}");
        }

        table.Gather([], Span<float>.Empty);
    }

    [Fact]
    public void BadArguments_AreRejected()
    {
        string path = PathOf("args.bin");
        VectorTableWriter.Write(path, RandomData(4, 3, 1), 4, 3, VectorElementType.Float32);
        using var table = VectorTable.Open(path);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Row(4));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.Row(-1));
        Assert.Throws<ArgumentException>(() => table.CopyRow(0, new float[2]));
        Assert.Throws<ArgumentException>(() => table.Gather([0, 1], new float[5]));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => table.Gather([0, 4], new float[6]));
        Assert.Contains("rows[1] = 4", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => table.RowRange(3, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => table.RowRange(-1, 1));
    }

    [Fact]
    public void Float16Table_ZeroCopyAccess_Throws()
    {
        string path = PathOf("h.bin");
        VectorTableWriter.Write(path, RandomData(2, 2, 1), 2, 2, VectorElementType.Float16);
        using var table = VectorTable.Open(path);
        var error = Assert.Throws<InvalidOperationException>(() => table.Row(0));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains("CopyRow", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => table.AsSpan());
        Assert.Throws<InvalidOperationException>(() => table.RowRange(0, 1));
    }

    [Fact]
    public void Dispose_Twice_IsHarmless_AndUseAfterDisposeThrows()
    {
        string path = PathOf("d.bin");
        VectorTableWriter.Write(path, RandomData(2, 2, 1), 2, 2, VectorElementType.Float32);
        var table = VectorTable.Open(path);
        table.Dispose();
        table.Dispose();
        Assert.Throws<ObjectDisposedException>(() => table.Row(0));
        Assert.Throws<ObjectDisposedException>(() => table.CopyRow(0, new float[2]));
        // The file is no longer held open: it can be replaced and reopened.
        VectorTableWriter.Write(path, RandomData(3, 2, 2), 3, 2, VectorElementType.Float32);
        using var again = VectorTable.Open(path);
        Assert.Equal(3, again.Rows);
    }

    [Fact]
    public void ConcurrentReaders_SeeTheSameValues()
    {
        const int rows = 500, cols = 24;
        var data = RandomData(rows, cols, seed: 9);
        string p32 = PathOf("c32.bin"), p16 = PathOf("c16.bin");
        VectorTableWriter.Write(p32, data, rows, cols, VectorElementType.Float32);
        VectorTableWriter.Write(p16, data, rows, cols, VectorElementType.Float16);
        using var t32 = VectorTable.Open(p32);
        using var t16 = VectorTable.Open(p16);
        var expected16 = data.Select(x => (float)(Half)x).ToArray();
        int failures = 0;
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, k =>
        {
            var rng = new Random(k);
            int[] picks = [rng.Next(rows), rng.Next(rows), rng.Next(rows)];
            var buf32 = new float[picks.Length * cols];
            var buf16 = new float[picks.Length * cols];
            t32.Gather(picks, buf32);
            t16.Gather(picks, buf16);
            for (int p = 0; p < picks.Length; p++)
            {
                int i = picks[p];
                if (!t32.Row(i).SequenceEqual(data.AsSpan(i * cols, cols))
                    || !buf32.AsSpan(p * cols, cols).SequenceEqual(data.AsSpan(i * cols, cols))
                    || !buf16.AsSpan(p * cols, cols).SequenceEqual(expected16.AsSpan(i * cols, cols)))
                {
                    Interlocked.Increment(ref failures);
                }
            }
        });
        Assert.Equal(0, failures);

        // Several tables over the same file at once.
        using var second = VectorTable.Open(p32);
        Assert.True(second.AsSpan().SequenceEqual(t32.AsSpan()));
    }

    [Fact]
    public void Header_MatchesDocumentedLayout()
    {
        string path = PathOf("layout.bin");
        VectorTableWriter.Write(path, [1f, 2f, 3f, 4f, 5f, 6f], 2, 3, VectorElementType.Float16);
        byte[] bytes = File.ReadAllBytes(path);
        Assert.Equal(64 + 12, bytes.Length);
        Assert.Equal("KARMAVEC"u8.ToArray(), bytes[..8]);
        Assert.Equal(1u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(12)));
        Assert.Equal(2ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16)));
        Assert.Equal(3u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(24)));
        Assert.Equal(64u, BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(28)));
        Assert.Equal(12ul, BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(32)));
        Assert.All(bytes[40..64], b => Assert.Equal(0, b));
        Assert.Equal((Half)1f, BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(64)));
        Assert.Equal((Half)6f, BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(74)));
    }

    [Fact]
    public void Writer_ReplacesAtomically_AndLeavesNoTemporaryFiles()
    {
        string path = PathOf("replace.bin");
        VectorTableWriter.Write(path, RandomData(2, 2, 1), 2, 2, VectorElementType.Float32);
        using var old = VectorTable.Open(path);
        var oldRow = old.Row(1).ToArray();
        var fresh = RandomData(5, 2, 2);
        VectorTableWriter.Write(path, fresh, 5, 2, VectorElementType.Float32);
        // The open mapping still sees the old file; a new open sees the new one.
        Assert.True(oldRow.AsSpan().SequenceEqual(old.Row(1)));
        using var now = VectorTable.Open(path);
        Assert.True(fresh.AsSpan().SequenceEqual(now.AsSpan()));
        Assert.Equal(["replace.bin"], Directory.GetFiles(_dir).Select(Path.GetFileName));
    }

    [Fact]
    public void Writer_BadInput_IsRejected_WithoutCreatingTheFile()
    {
        string path = PathOf("bad.bin");
        Assert.Throws<ArgumentException>(() => VectorTableWriter.Write(path, new float[5], 2, 3, VectorElementType.Float32));
        Assert.Throws<ArgumentOutOfRangeException>(() => VectorTableWriter.Write(path, [], 0, 0, VectorElementType.Float32));
        Assert.Throws<ArgumentOutOfRangeException>(() => VectorTableWriter.Write(path, new float[2], 1, 2, (VectorElementType)3));
        var nan = Assert.Throws<ArgumentException>(() => VectorTableWriter.Write(path, [1f, float.NaN, 0f, 0f], 2, 2, VectorElementType.Float32));
        Assert.Contains("row 0, column 1", nan.Message, StringComparison.Ordinal);
        var inf = Assert.Throws<ArgumentException>(() => VectorTableWriter.Write(path, [1f, 2f, 3f, float.PositiveInfinity], 2, 2, VectorElementType.Float16));
        Assert.Contains("row 1, column 1", inf.Message, StringComparison.Ordinal);
        var overflow = Assert.Throws<ArgumentException>(() => VectorTableWriter.Write(path, [1f, 70000f], 1, 2, VectorElementType.Float16));
        Assert.Contains("overflows float16", overflow.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(_dir));
    }

    // ---- corruption ----

    private string ValidFile(string name, VectorElementType type = VectorElementType.Float32)
    {
        string path = PathOf(name);
        VectorTableWriter.Write(path, RandomData(3, 5, 1), 3, 5, type);
        return path;
    }

    private static void PatchU32(string path, int offset, uint value)
    {
        byte[] bytes = File.ReadAllBytes(path);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), value);
        File.WriteAllBytes(path, bytes);
    }

    private static void AssertRejected(string path, string problem)
    {
        var error = Assert.Throws<InvalidDataException>(() => VectorTable.Open(path));
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_BadMagic()
    {
        string path = ValidFile("magic.bin");
        byte[] bytes = File.ReadAllBytes(path);
        "KARMAVEX"u8.CopyTo(bytes);
        File.WriteAllBytes(path, bytes);
        AssertRejected(path, "bad magic: expected \"KARMAVEC\", found \"KARMAVEX\"");
    }

    [Theory]
    [InlineData(0u)]
    [InlineData(3u)]
    [InlineData(0xFFFFFFFFu)]
    public void Corrupt_UnknownElementType(uint code)
    {
        string path = ValidFile($"type{code}.bin");
        PatchU32(path, 12, code);
        AssertRejected(path, $"unknown element type {code}");
    }

    [Theory]
    [InlineData(VectorElementType.Float32)]
    [InlineData(VectorElementType.Float16)]
    public void Corrupt_TruncatedByOneByte(VectorElementType type)
    {
        string path = ValidFile($"trunc{type}.bin", type);
        using (var s = new FileStream(path, FileMode.Open))
        {
            s.SetLength(s.Length - 1);
        }

        AssertRejected(path, "truncated payload");
    }

    [Fact]
    public void Corrupt_TrailingByte()
    {
        string path = ValidFile("trail.bin");
        using (var s = new FileStream(path, FileMode.Append))
        {
            s.WriteByte(0);
        }

        AssertRejected(path, "trailing bytes");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(8)]
    [InlineData(63)]
    public void Corrupt_HeaderShorterThan64Bytes(int length)
    {
        string path = ValidFile($"short{length}.bin");
        using (var s = new FileStream(path, FileMode.Open))
        {
            s.SetLength(length);
        }

        AssertRejected(path, $"file is {length} bytes, shorter than the 64-byte header");
    }

    [Fact]
    public void Corrupt_EmptyFile()
    {
        string path = PathOf("empty.bin");
        File.WriteAllBytes(path, []);
        AssertRejected(path, "empty file");
    }

    /// <summary>One 32-bit header field of a valid file changed: the file is refused, naming the problem.</summary>
    [Theory]
    [InlineData(8, 2u, "unsupported format version 2")]
    [InlineData(12, 2u, "does not match rows x cols x element size")] // element type changed, payload not
    [InlineData(16, 4u, "does not match rows x cols x element size")] // more rows than the file holds
    [InlineData(20, 1u, "exceeds the supported maximum")] // rows = 2^32 + 3
    [InlineData(24, 0u, "zero cols")]
    [InlineData(28, 128u, "header size field is 128, expected 64")]
    [InlineData(32, 59u, "header payload length 59 bytes does not match")]
    [InlineData(60, 1u, "reserved header bytes 40..63 are not zero")]
    public void Corrupt_HeaderField(int offset, uint value, string problem)
    {
        string path = ValidFile($"field{offset}.bin");
        PatchU32(path, offset, value);
        AssertRejected(path, problem);
    }

    [Fact]
    public void Open_MissingFile_ThrowsFileNotFound()
    {
        Assert.Throws<FileNotFoundException>(() => VectorTable.Open(PathOf("missing.bin")));
    }
}
