using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Karma.Core.Vectors;

/// <summary>A dense row-major matrix read from a vector file.</summary>
/// <param name="Values">Rows × Cols values, row-major.</param>
/// <param name="Rows">Number of vectors.</param>
/// <param name="Cols">Vector length.</param>
public sealed record VectorMatrix(float[] Values, int Rows, int Cols)
{
    /// <summary>Row <paramref name="row"/>.</summary>
    public ReadOnlySpan<float> Row(int row) => Values.AsSpan(row * Cols, Cols);
}

/// <summary>
/// Readers of the vector files other tools write: NumPy <c>.npy</c> (2-D, float32/float64/int32/int64, little-endian,
/// C order), the <c>.fvecs</c>/<c>.ivecs</c> files of the ANN benchmarks (each vector an int32 length then its values),
/// and <c>.safetensors</c> (one 2-D F32/F64 tensor, or the one named by <c>tensor</c>). Every malformed file gets an
/// <see cref="InvalidDataException"/> naming the file and what is wrong; sizes are checked against the file length
/// before anything is allocated, so a hostile header cannot ask for gigabytes.
/// </summary>
public static partial class VectorFile
{
    /// <summary>Reads a file by its extension (.npy, .fvecs, .ivecs, .safetensors); ivecs and integer npy come back as floats.</summary>
    public static VectorMatrix Read(string path, string? tensor = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"{path}: no such file", path);
        }

        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".npy" => ReadNpy(path),
            ".fvecs" => ReadVecs(path, integers: false),
            ".ivecs" => ReadVecs(path, integers: true),
            ".safetensors" => ReadSafetensors(path, tensor),
            string other => throw new InvalidDataException($"{path}: unknown vector file type '{other}' (one of .npy, .fvecs, .ivecs, .safetensors)"),
        };
    }

    /// <summary>Reads an <c>.ivecs</c> file (e.g. ground-truth neighbour ids) as integers.</summary>
    public static (int[] Values, int Rows, int Cols) ReadIvecs(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var (rows, cols) = VecsShape(path, bytes);
        var values = new int[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            long at = (long)r * (4 + 4 * cols) + 4;
            for (int c = 0; c < cols; c++)
            {
                values[r * cols + c] = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)(at + 4 * c)));
            }
        }

        return (values, rows, cols);
    }

    private static VectorMatrix ReadVecs(string path, bool integers)
    {
        byte[] bytes = File.ReadAllBytes(path);
        var (rows, cols) = VecsShape(path, bytes);
        var values = new float[rows * cols];
        for (int r = 0; r < rows; r++)
        {
            var row = bytes.AsSpan(r * (4 + 4 * cols) + 4, 4 * cols);
            for (int c = 0; c < cols; c++)
            {
                values[r * cols + c] = integers
                    ? BinaryPrimitives.ReadInt32LittleEndian(row[(4 * c)..])
                    : BinaryPrimitives.ReadSingleLittleEndian(row[(4 * c)..]);
            }
        }

        return new VectorMatrix(values, rows, cols);
    }

    private static (int Rows, int Cols) VecsShape(string path, byte[] bytes)
    {
        if (bytes.Length < 4)
        {
            throw new InvalidDataException($"{path}: empty (a .fvecs/.ivecs file starts with the first vector's length)");
        }

        int cols = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (cols <= 0 || cols > 1 << 20)
        {
            throw new InvalidDataException($"{path}: first vector length {cols} is not in 1..{1 << 20}");
        }

        long stride = 4 + 4L * cols;
        if (bytes.Length % stride != 0)
        {
            throw new InvalidDataException($"{path}: {bytes.Length} bytes is not a whole number of {cols}-long vectors ({stride} bytes each)");
        }

        int rows = checked((int)(bytes.Length / stride));
        for (int r = 1; r < rows; r++)
        {
            int length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan((int)(r * stride)));
            if (length != cols)
            {
                throw new InvalidDataException($"{path}: vector {r} has length {length}, the first has {cols} (all must be equal)");
            }
        }

        return (rows, cols);
    }

    private static VectorMatrix ReadNpy(string path)
    {
        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> magic = [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];
        if (bytes.Length < 10 || !bytes.AsSpan(0, 6).SequenceEqual(magic))
        {
            throw new InvalidDataException($"{path}: not a NumPy .npy file (no \\x93NUMPY magic)");
        }

        int major = bytes[6];
        int headerLength, headerStart;
        if (major == 1)
        {
            headerLength = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(8));
            headerStart = 10;
        }
        else if (major is 2 or 3 && bytes.Length >= 12)
        {
            headerLength = checked((int)BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(8)));
            headerStart = 12;
        }
        else
        {
            throw new InvalidDataException($"{path}: .npy format version {major} is not supported (1, 2 or 3)");
        }

        if (headerStart + (long)headerLength > bytes.Length)
        {
            throw new InvalidDataException($"{path}: header of {headerLength} bytes runs past the end of the file");
        }

        string header = Encoding.Latin1.GetString(bytes, headerStart, headerLength);
        var descr = NpyDescr().Match(header);
        var order = NpyFortran().Match(header);
        var shape = NpyShape().Match(header);
        if (!descr.Success || !order.Success || !shape.Success)
        {
            throw new InvalidDataException($"{path}: .npy header '{header.Trim()}' lacks descr, fortran_order or shape");
        }

        if (order.Groups[1].Value == "True")
        {
            throw new InvalidDataException($"{path}: Fortran (column-major) order; save a C-ordered array (numpy.ascontiguousarray)");
        }

        long[] dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(d => long.Parse(d, CultureInfo.InvariantCulture)).ToArray();
        if (dims.Length != 2)
        {
            throw new InvalidDataException($"{path}: shape ({string.Join(", ", dims)}) is not 2-D (rows, cols)");
        }

        string type = descr.Groups[1].Value;
        int size = type switch
        {
            "<f4" or "<i4" => 4,
            "<f8" or "<i8" => 8,
            _ => throw new InvalidDataException($"{path}: element type '{type}' is not supported (little-endian <f4, <f8, <i4 or <i8)"),
        };
        int dataStart = headerStart + headerLength;
        return Decode(path, bytes.AsSpan(dataStart), dims[0], dims[1], size, type[1]);
    }

    private static VectorMatrix ReadSafetensors(string path, string? name)
    {
        byte[] bytes = File.ReadAllBytes(path);
        if (bytes.Length < 8)
        {
            throw new InvalidDataException($"{path}: too short for a safetensors file");
        }

        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        if (headerLength > (ulong)(bytes.Length - 8) || headerLength > 100_000_000)
        {
            throw new InvalidDataException($"{path}: header length {headerLength} runs past the end of the file");
        }

        using var doc = ParseJson(path, bytes.AsMemory(8, (int)headerLength));
        var tensors = doc.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").ToList();
        var chosen = name is null
            ? tensors.Count == 1 ? tensors[0] : throw new InvalidDataException(
                $"{path}: holds {tensors.Count} tensors ({string.Join(", ", tensors.Select(t => t.Name))}); name one (--tensor NAME)")
            : tensors.FirstOrDefault(t => t.Name == name) is { Value.ValueKind: JsonValueKind.Object } found ? found
            : throw new InvalidDataException($"{path}: no tensor '{name}' (it holds {string.Join(", ", tensors.Select(t => t.Name))})");
        try
        {
            string dtype = chosen.Value.GetProperty("dtype").GetString() ?? string.Empty;
            long[] shape = chosen.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            long[] offsets = chosen.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            if (shape.Length != 2 || offsets.Length != 2)
            {
                throw new InvalidDataException($"{path}: tensor '{chosen.Name}' has shape [{string.Join(", ", shape)}]; a 2-D [rows, cols] tensor is needed");
            }

            int size = dtype switch
            {
                "F32" or "I32" => 4,
                "F64" or "I64" => 8,
                _ => throw new InvalidDataException($"{path}: tensor '{chosen.Name}' has dtype {dtype} (F32, F64, I32 or I64 are read)"),
            };
            long start = 8 + (long)headerLength + offsets[0], end = 8 + (long)headerLength + offsets[1];
            if (offsets[0] < 0 || end > bytes.Length || start > end)
            {
                throw new InvalidDataException($"{path}: tensor '{chosen.Name}' data_offsets [{offsets[0]}, {offsets[1]}] lie outside the file");
            }

            if (end - start != shape[0] * shape[1] * size)
            {
                throw new InvalidDataException($"{path}: tensor '{chosen.Name}' has {end - start} bytes, shape and dtype need {shape[0] * shape[1] * size}");
            }

            return Decode(path, bytes.AsSpan((int)start, (int)(end - start)), shape[0], shape[1], size, dtype[0] == 'F' ? 'f' : 'i');
        }
        catch (Exception e) when (e is KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: tensor '{chosen.Name}' lacks dtype, shape or data_offsets ({e.Message})", e);
        }
    }

    private static JsonDocument ParseJson(string path, ReadOnlyMemory<byte> json)
    {
        try
        {
            return JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: header is not valid JSON ({e.Message})", e);
        }
    }

    /// <summary>Rows × cols values of <paramref name="size"/> bytes (kind 'f' float, 'i' integer), little-endian, as float32.</summary>
    private static VectorMatrix Decode(string path, ReadOnlySpan<byte> data, long rows, long cols, int size, char kind)
    {
        if (rows <= 0 || cols <= 0 || rows > int.MaxValue / 2 / cols)
        {
            throw new InvalidDataException($"{path}: shape ({rows}, {cols}) is empty or too large");
        }

        if (data.Length < rows * cols * size)
        {
            throw new InvalidDataException($"{path}: {data.Length} bytes of data, shape ({rows}, {cols}) needs {rows * cols * size} (truncated)");
        }

        var values = new float[rows * cols];
        for (int i = 0; i < values.Length; i++)
        {
            var at = data[(i * size)..];
            values[i] = (size, kind) switch
            {
                (4, 'f') => BinaryPrimitives.ReadSingleLittleEndian(at),
                (8, 'f') => (float)BinaryPrimitives.ReadDoubleLittleEndian(at),
                (4, _) => BinaryPrimitives.ReadInt32LittleEndian(at),
                _ => BinaryPrimitives.ReadInt64LittleEndian(at),
            };
        }

        return new VectorMatrix(values, (int)rows, (int)cols);
    }

    [GeneratedRegex(@"'descr'\s*:\s*'([^']*)'")]
    private static partial Regex NpyDescr();

    [GeneratedRegex(@"'fortran_order'\s*:\s*(True|False)")]
    private static partial Regex NpyFortran();

    [GeneratedRegex(@"'shape'\s*:\s*\(([^)]*)\)")]
    private static partial Regex NpyShape();
}
