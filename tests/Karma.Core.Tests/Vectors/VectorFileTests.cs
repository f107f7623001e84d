using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Karma.Core.Vectors;

namespace Karma.Core.Tests.Vectors;

/// <summary>The vector-file readers on files written here byte by byte, one written by NumPy itself, and malformed ones.</summary>
public sealed class VectorFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("karma-vectors-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static readonly float[] Values = [1f, -2.5f, 3f, 0.125f, 5f, -6f];

    private string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static byte[] Npy(string descr, string shape, byte[] data, string fortran = "False")
    {
        string header = $"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {shape}, }}";
        header = header.PadRight((header.Length + 11) / 64 * 64 + 63 - 10) + "\n";
        var bytes = new List<byte> { 0x93 };
        bytes.AddRange("NUMPY"u8.ToArray());
        bytes.AddRange([1, 0, (byte)(header.Length & 0xff), (byte)(header.Length >> 8)]);
        bytes.AddRange(Encoding.Latin1.GetBytes(header));
        bytes.AddRange(data);
        return [.. bytes];
    }

    private static byte[] Floats(IEnumerable<float> values) => values.SelectMany(v => BitConverter.GetBytes(v)).ToArray();

    private static byte[] Vecs(int cols, IEnumerable<byte[]> rows) => rows.SelectMany(r => BitConverter.GetBytes(cols).Concat(r)).ToArray();

    [Fact]
    public void Npy_float32_and_float64_read_row_major()
    {
        var m = VectorFile.Read(Write("a.npy", Npy("<f4", "(2, 3)", Floats(Values))));
        Assert.Equal((2, 3), (m.Rows, m.Cols));
        Assert.Equal(Values, m.Values);
        Assert.Equal([0.125f, 5f, -6f], m.Row(1).ToArray());

        var d = VectorFile.Read(Write("b.npy", Npy("<f8", "(3, 2)", Values.SelectMany(v => BitConverter.GetBytes((double)v)).ToArray())));
        Assert.Equal((3, 2), (d.Rows, d.Cols));
        Assert.Equal(Values, d.Values);
    }

    [Fact]
    public void Npy_written_by_numpy_reads_the_same()
    {
        string path = Path.Combine(_dir, "numpy.npy");
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"import numpy as np; np.save('{path}', np.arange(12, dtype=np.float32).reshape(4, 3) / 4)");
        using (var p = Process.Start(start)!)
        {
            string error = p.StandardError.ReadToEnd();
            p.WaitForExit();
            Assert.True(p.ExitCode == 0, error);
        }

        var m = VectorFile.Read(path);
        Assert.Equal((4, 3), (m.Rows, m.Cols));
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i / 4f), m.Values);
    }

    [Fact]
    public void Fvecs_and_ivecs_read_each_vector()
    {
        var f = VectorFile.Read(Write("a.fvecs", Vecs(3, [Floats(Values[..3]), Floats(Values[3..])])));
        Assert.Equal((2, 3), (f.Rows, f.Cols));
        Assert.Equal(Values, f.Values);

        string ivecs = Write("gt.ivecs", Vecs(2, [[.. BitConverter.GetBytes(7), .. BitConverter.GetBytes(9)], [.. BitConverter.GetBytes(1), .. BitConverter.GetBytes(0)]]));
        var (ids, rows, cols) = VectorFile.ReadIvecs(ivecs);
        Assert.Equal((2, 2), (rows, cols));
        Assert.Equal([7, 9, 1, 0], ids);
    }

    [Fact]
    public void Safetensors_reads_the_single_or_the_named_tensor()
    {
        string one = Write("one.safetensors", Safetensors(("""{"emb":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]}}""", Floats(Values))));
        Assert.Equal(Values, VectorFile.Read(one).Values);

        string two = Write("two.safetensors", Safetensors((
            """{"__metadata__":{"k":"v"},"a":{"dtype":"F32","shape":[1,2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2,2],"data_offsets":[8,24]}}""",
            Floats(Values))));
        Assert.Equal(Values[2..], VectorFile.Read(two, "b").Values);
        var e = Assert.Throws<InvalidDataException>(() => VectorFile.Read(two));
        Assert.Contains("holds 2 tensors (a, b); name one", e.Message, StringComparison.Ordinal);
    }

    private static byte[] Safetensors((string Header, byte[] Data) file)
    {
        byte[] header = Encoding.UTF8.GetBytes(file.Header);
        var bytes = new byte[8 + header.Length + file.Data.Length];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, (ulong)header.Length);
        header.CopyTo(bytes, 8);
        file.Data.CopyTo(bytes, 8 + header.Length);
        return bytes;
    }

    public static TheoryData<string, byte[], string> Malformed() => new()
    {
        { "bad.npy", "not numpy"u8.ToArray(), "no \\x93NUMPY magic" },
        { "three.npy", Npy("<f4", "(1, 2, 3)", Floats(Values)), "is not 2-D" },
        { "fortran.npy", Npy("<f4", "(2, 3)", Floats(Values), "True"), "Fortran" },
        { "big-endian.npy", Npy(">f4", "(2, 3)", Floats(Values)), "'>f4' is not supported" },
        { "short.npy", Npy("<f4", "(2, 3)", Floats(Values[..5])), "(truncated)" },
        { "huge.npy", Npy("<f4", "(4000000000, 4000000000)", Floats(Values)), "too large" },
        { "ragged.fvecs", Vecs(3, [Floats(Values[..3])]).Concat(Vecs(2, [Floats(Values[..2])])).ToArray(), "not a whole number" },
        { "zero.fvecs", BitConverter.GetBytes(0), "not in 1.." },
        { "header.safetensors", [.. BitConverter.GetBytes(1_000_000L), .. "{}"u8.ToArray()], "runs past the end" },
        { "offsets.safetensors", Safetensors(("""{"x":{"dtype":"F32","shape":[2,3],"data_offsets":[0,999]}}""", Floats(Values))), "lie outside the file" },
        { "f16.safetensors", Safetensors(("""{"x":{"dtype":"F16","shape":[1,2],"data_offsets":[0,4]}}""", [1, 2, 3, 4])), "dtype F16" },
        { "table.csv", "1,2"u8.ToArray(), "unknown vector file type '.csv'" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void Malformed_files_are_refused_naming_the_file_and_the_problem(string name, byte[] bytes, string expected)
    {
        string path = Write(name, bytes);
        var e = Assert.Throws<InvalidDataException>(() => VectorFile.Read(path));
        Assert.StartsWith(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(expected, e.Message, StringComparison.Ordinal);
    }
}
