using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Karma.LoadTesting.Bench;

/// <summary>Readers of the standard vector files benchmarks use: <c>.fvecs</c> (Faiss/ANN-benchmarks) and <c>.npy</c> (float32, 2-D, C order).</summary>
public static partial class VectorFiles
{
    /// <summary>Reads a file by extension; returns row-major data with its shape. Errors name the file and the problem.</summary>
    public static (float[] Data, int Rows, int Cols) Read(string path, int maxRows = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".fvecs" => ReadFvecs(path, maxRows),
            ".npy" => ReadNpy(path, maxRows),
            _ => throw new InvalidDataException($"{path}: unknown vector file type (expected .fvecs or .npy)"),
        };
    }

    /// <summary>.fvecs: per vector an int32 dimension followed by that many float32 values.</summary>
    public static (float[] Data, int Rows, int Cols) ReadFvecs(string path, int maxRows = int.MaxValue)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        long length = reader.BaseStream.Length;
        if (length < 4)
        {
            throw new InvalidDataException($"{path}: too short for an .fvecs file");
        }

        int dims = reader.ReadInt32();
        if (dims <= 0 || dims > 1 << 16)
        {
            throw new InvalidDataException($"{path}: first vector declares {dims} dimensions");
        }

        long record = 4 + 4L * dims;
        if (length % record != 0)
        {
            throw new InvalidDataException($"{path}: {length} bytes is not a whole number of {dims}-d records ({record} bytes each); truncated or ragged");
        }

        int rows = (int)Math.Min(length / record, maxRows);
        var data = new float[(long)rows * dims];
        reader.BaseStream.Position = 0;
        for (int r = 0; r < rows; r++)
        {
            int d = reader.ReadInt32();
            if (d != dims)
            {
                throw new InvalidDataException($"{path}: vector {r} has {d} dimensions, the first has {dims}");
            }

            for (int c = 0; c < dims; c++)
            {
                data[(long)r * dims + c] = reader.ReadSingle();
            }
        }

        return (data, rows, dims);
    }

    /// <summary>.npy version 1/2 with dtype &lt;f4, fortran_order False and a 2-D shape.</summary>
    public static (float[] Data, int Rows, int Cols) ReadNpy(string path, int maxRows = int.MaxValue)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        byte[] magic = reader.ReadBytes(6);
        if (magic.Length != 6 || magic[0] != 0x93 || Encoding.ASCII.GetString(magic, 1, 5) != "NUMPY")
        {
            throw new InvalidDataException($"{path}: not an .npy file (bad magic)");
        }

        byte major = reader.ReadByte();
        reader.ReadByte();
        int headerLength = major == 1 ? reader.ReadUInt16() : major is 2 or 3 ? (int)reader.ReadUInt32()
            : throw new InvalidDataException($"{path}: unsupported .npy version {major}");
        string header = Encoding.ASCII.GetString(reader.ReadBytes(headerLength));
        if (!header.Contains("'descr': '<f4'", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: only little-endian float32 ('<f4') arrays are supported; header is {header.Trim()}");
        }

        if (header.Contains("'fortran_order': True", StringComparison.Ordinal))
        {
            throw new InvalidDataException($"{path}: Fortran-order arrays are not supported");
        }

        var shape = ShapePattern().Match(header);
        if (!shape.Success)
        {
            throw new InvalidDataException($"{path}: expected a 2-D shape in the header {header.Trim()}");
        }

        long total = long.Parse(shape.Groups[1].Value, CultureInfo.InvariantCulture);
        int cols = int.Parse(shape.Groups[2].Value, CultureInfo.InvariantCulture);
        int rows = (int)Math.Min(total, maxRows);
        long available = (reader.BaseStream.Length - reader.BaseStream.Position) / 4;
        if (available < total * cols)
        {
            throw new InvalidDataException($"{path}: header promises {total}x{cols} floats but the file holds {available}; truncated");
        }

        var data = new float[(long)rows * cols];
        byte[] bytes = reader.ReadBytes(checked(rows * cols * 4));
        Buffer.BlockCopy(bytes, 0, data, 0, bytes.Length);
        return (data, rows, cols);
    }

    [GeneratedRegex(@"'shape':\s*\(\s*(\d+)\s*,\s*(\d+)\s*\)")]
    private static partial Regex ShapePattern();
}
