using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Karma.Core.Package;

/// <summary>
/// A table's payload copied into aligned native memory (<see cref="VectorTableMemory.Anonymous"/> and
/// <see cref="VectorTableMemory.HugePages"/>): read from the file once, freed on dispose.
/// </summary>
internal sealed unsafe partial class AnonymousTableMemory : IDisposable
{
    /// <summary>Transparent huge pages on x64 and arm64 Linux are 2 MiB; aligning to that lets the kernel use them from the first byte.</summary>
    private const nuint HugePageSize = 2 << 20;

    private const int MadviseHugePage = 14; // MADV_HUGEPAGE, linux/mman-common.h
    private const int ReadChunk = 1 << 30;
    private void* _pointer;

    private AnonymousTableMemory(void* pointer) => _pointer = pointer;

    /// <summary>The first payload byte.</summary>
    public byte* Pointer => (byte*)_pointer;

    /// <summary>Copies <paramref name="bytes"/> bytes from <paramref name="offset"/> of the file into new memory.</summary>
    /// <exception cref="InvalidDataException">The file ended before <paramref name="bytes"/> bytes were read.</exception>
    public static AnonymousTableMemory Read(SafeFileHandle file, long offset, long bytes, bool hugePages)
    {
        nuint alignment = hugePages ? HugePageSize : 64;
        nuint size = Math.Max((nuint)bytes, 1);
        if (hugePages)
        {
            size = (size + HugePageSize - 1) & ~(HugePageSize - 1);
        }

        void* memory = NativeMemory.AlignedAlloc(size, alignment);
        var owner = new AnonymousTableMemory(memory);
        try
        {
            if (hugePages && OperatingSystem.IsLinux())
            {
                // Advice, not a demand: with transparent huge pages off the kernel ignores it and the copy still works.
                _ = Madvise(memory, size, MadviseHugePage);
            }

            for (long done = 0; done < bytes;)
            {
                int chunk = (int)Math.Min(ReadChunk, bytes - done);
                int read = RandomAccess.Read(file, new Span<byte>((byte*)memory + done, chunk), offset + done);
                if (read == 0)
                {
                    throw new InvalidDataException($"the table file ended {bytes - done} bytes before its payload did");
                }

                done += read;
            }

            return owner;
        }
        catch
        {
            owner.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        void* memory = _pointer;
        _pointer = null;
        if (memory is not null)
        {
            NativeMemory.AlignedFree(memory);
        }
    }

    [LibraryImport("libc", EntryPoint = "madvise", SetLastError = true)]
    private static partial int Madvise(void* address, nuint length, int advice);
}
