using System.Buffers.Binary;
using System.Text;
using Lucene.Net.Store;

namespace Karma.Search.Lexical;

/// <summary>
/// A lexical index as one file of a model package (<c>lexical_index.bin</c>), so the package stays a flat directory of
/// hashed files that the verifier, the Redis publisher and the service handle alike. The file is a small container
/// of the Lucene index's files, loaded into memory when opened:
/// <code>
/// "KARMALEX" (8 bytes) | version u32 = 1 | file count u32
/// per file: name length u16 | name (UTF-8, a plain Lucene file name) | byte length i64
/// the files' bytes, in the same order
/// </code>
/// All integers little-endian. Every Lucene file also carries its own CRC-32 footer, checked on open.
/// </summary>
public static class LexicalIndexFile
{
    /// <summary>The element type recorded for the table in package manifests.</summary>
    public const string ElementType = "lucene-4.8-bm25";

    private const int Version = 1;
    private const int MaxFiles = 64;
    private const int MaxNameBytes = 255;

    /// <summary>
    /// Largest container loaded: an index is about 14 bytes per item (13.5 MB for 1M items), so a bigger file is not
    /// one (or a damaged one) and must fail clearly instead of exhausting memory.
    /// </summary>
    private const long MaxBytes = 4L << 30;
    private static readonly byte[] Magic = "KARMALEX"u8.ToArray();

    /// <summary>Builds the index of <paramref name="documents"/> (document i = row i) and writes it to <paramref name="path"/>.</summary>
    public static void Write(string path, IEnumerable<LexicalDocument> documents, IProgress<string>? progress = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        string parent = Path.GetDirectoryName(full)!;
        string building = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.d");
        string temp = Path.Combine(parent, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            LexicalIndex.Build(building, documents, progress);
            var names = LexicalIndex.Files(building);
            if (names.Count > MaxFiles || names.Any(n => Encoding.UTF8.GetByteCount(n) > MaxNameBytes))
            {
                throw new InvalidDataException($"lexical index {building}: {names.Count} files or a name too long for the container");
            }

            using (var output = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16))
            {
                var header = new MemoryStream();
                header.Write(Magic);
                WriteInt32(header, Version);
                WriteInt32(header, names.Count);
                Span<byte> length = stackalloc byte[2];
                Span<byte> size = stackalloc byte[8];
                foreach (string name in names)
                {
                    byte[] bytes = Encoding.UTF8.GetBytes(name);
                    BinaryPrimitives.WriteUInt16LittleEndian(length, (ushort)bytes.Length);
                    header.Write(length);
                    header.Write(bytes);
                    BinaryPrimitives.WriteInt64LittleEndian(size, new FileInfo(Path.Combine(building, name)).Length);
                    header.Write(size);
                }

                header.Position = 0;
                header.CopyTo(output);
                foreach (string name in names)
                {
                    using var input = File.OpenRead(Path.Combine(building, name));
                    input.CopyTo(output);
                }

                output.Flush(flushToDisk: true);
            }

            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
            if (System.IO.Directory.Exists(building))
            {
                System.IO.Directory.Delete(building, recursive: true);
            }
        }
    }

    /// <summary>
    /// Opens a file written by <see cref="Write"/> into memory and checks it like <see cref="LexicalIndex.Open(string, int)"/>:
    /// container layout, every Lucene file's checksum, <paramref name="expectedRows"/> documents, ids equal to rows.
    /// </summary>
    /// <exception cref="InvalidDataException">Anything is wrong; the message names the file and the problem.</exception>
    public static LexicalIndex Open(string path, int expectedRows)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw Invalid(full, "file not found");
        }

        long size = new FileInfo(full).Length;
        if (size > MaxBytes)
        {
            throw Invalid(full, $"{size:N0} bytes, more than the {MaxBytes:N0} a lexical index is loaded with");
        }

        var ram = new RAMDirectory();
        try
        {
            using (var input = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            {
                foreach (var (name, length) in ReadHeader(full, input))
                {
                    using var output = ram.CreateOutput(name, IOContext.DEFAULT);
                    Copy(full, input, output, name, length);
                }
            }

            return LexicalIndex.Open(full, ram, expectedRows);
        }
        catch (Exception e) when (e is not (InvalidDataException or OutOfMemoryException))
        {
            ram.Dispose();
            throw Invalid(full, $"{e.GetType().Name}: {e.Message}", e);
        }
        catch
        {
            ram.Dispose();
            throw;
        }
    }

    private static List<(string Name, long Length)> ReadHeader(string path, Stream input)
    {
        Span<byte> magic = stackalloc byte[8];
        ReadExactly(path, input, magic, "the header");
        if (!magic.SequenceEqual(Magic))
        {
            throw Invalid(path, "not a lexical index file (bad magic)");
        }

        Span<byte> word = stackalloc byte[4];
        ReadExactly(path, input, word, "the header");
        int version = BinaryPrimitives.ReadInt32LittleEndian(word);
        if (version != Version)
        {
            throw Invalid(path, $"container version {version}, this version reads {Version}");
        }

        ReadExactly(path, input, word, "the header");
        int count = BinaryPrimitives.ReadInt32LittleEndian(word);
        if (count is < 1 or > MaxFiles)
        {
            throw Invalid(path, $"{count} files listed (1 to {MaxFiles} expected)");
        }

        var files = new List<(string, long)>(count);
        long total = 0;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        Span<byte> two = stackalloc byte[2];
        Span<byte> eight = stackalloc byte[8];
        for (int i = 0; i < count; i++)
        {
            ReadExactly(path, input, two, "the file table");
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(two);
            if (nameLength is 0 or > MaxNameBytes)
            {
                throw Invalid(path, $"file {i}: name of {nameLength} bytes");
            }

            byte[] nameBytes = new byte[nameLength];
            ReadExactly(path, input, nameBytes, "the file table");
            string name = Encoding.UTF8.GetString(nameBytes);
            if (name != Path.GetFileName(name) || name is "." or ".." || name.Any(c => char.IsControl(c) || c == '\\') || !seen.Add(name))
            {
                throw Invalid(path, $"file {i}: '{name}' is not a plain, distinct file name");
            }

            ReadExactly(path, input, eight, "the file table");
            long length = BinaryPrimitives.ReadInt64LittleEndian(eight);
            if (length < 0 || length > input.Length)
            {
                throw Invalid(path, $"file '{name}' claims {length} bytes; the container has {input.Length}");
            }

            total += length;
            files.Add((name, length));
        }

        if (input.Position + total != input.Length)
        {
            throw Invalid(path, $"the files' lengths add up to {total} bytes but {input.Length - input.Position} follow the header (truncated or padded)");
        }

        return files;
    }

    private static void Copy(string path, Stream input, IndexOutput output, string name, long length)
    {
        byte[] buffer = new byte[1 << 16];
        long left = length;
        while (left > 0)
        {
            int n = input.Read(buffer, 0, (int)Math.Min(buffer.Length, left));
            if (n <= 0)
            {
                throw Invalid(path, $"file '{name}' is cut short");
            }

            output.WriteBytes(buffer, 0, n);
            left -= n;
        }
    }

    private static void ReadExactly(string path, Stream input, Span<byte> buffer, string what)
    {
        try
        {
            input.ReadExactly(buffer);
        }
        catch (EndOfStreamException e)
        {
            throw Invalid(path, $"ends inside {what} (truncated)", e);
        }
    }

    private static void WriteInt32(Stream stream, int value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static InvalidDataException Invalid(string path, string problem, Exception? inner = null) =>
        new($"lexical index {path}: {problem}", inner);
}
