using System.Runtime.InteropServices;

namespace Karma.Serving.Core.Indexing.USearch;

/// <summary>
/// <c>usearch_metric_kind_t</c> of the USearch C API (c/usearch.h). Values checked against the shipped
/// 2.26.6 <c>libusearch_c.so</c> (its <c>metric_kind_to_c</c> table maps the C++ <c>ip_k</c> to 2).
/// </summary>
internal enum UsearchMetricKind
{
    Unknown = 0,
    Cos = 1,
    InnerProduct = 2,
    L2Squared = 3,
}

/// <summary>
/// <c>usearch_scalar_kind_t</c> of the USearch C API. Values checked against the shipped 2.26.6
/// <c>scalar_kind_to_cpp</c> table: 1 → f32, 2 → f64, 3 → f16, 4 → i8, 5 → b1, 6 → bf16.
/// </summary>
internal enum UsearchScalarKind
{
    Unknown = 0,
    F32 = 1,
    F64 = 2,
    F16 = 3,
    I8 = 4,
    B1 = 5,
    BF16 = 6,
}

/// <summary>
/// <c>usearch_init_options_t</c>. Field offsets (0, 8, 16, 24, 32, 40, 48, 56; 64 bytes) match what
/// <c>usearch_init</c> of the shipped library reads; <c>multi</c> is a one-byte C <c>bool</c>.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct UsearchInitOptions
{
    public UsearchMetricKind MetricKind;
    public nint Metric; // custom metric callback; zero for the built-in kinds
    public UsearchScalarKind Quantization;
    public nuint Dimensions;
    public nuint Connectivity;
    public nuint ExpansionAdd;
    public nuint ExpansionSearch;
    public byte Multi;
}

/// <summary>
/// Owns one native <c>usearch_index_t</c>; <see cref="ReleaseHandle"/> calls <c>usearch_free</c> exactly once,
/// and only after every P/Invoke that took this handle has returned (SafeHandle reference counting).
/// </summary>
internal sealed class UsearchHandle : SafeHandle
{
    public UsearchHandle(nint index)
        : base(IntPtr.Zero, ownsHandle: true)
    {
        SetHandle(index);
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    protected override unsafe bool ReleaseHandle()
    {
        nint error = 0;
        UsearchNative.usearch_free(handle, &error);
        return error == 0;
    }
}

/// <summary>
/// Thin P/Invoke binding over the USearch C API (<c>c/usearch.h</c>) as shipped in the native library of the
/// <c>Cloud.Unum.USearch</c> 2.26.6 package (<c>runtimes/linux-x64/native/libusearch_c.so</c>, which finds
/// its <c>libnumkong.so</c> through <c>RUNPATH=$ORIGIN</c> and needs the system <c>libgomp.so.1</c>).
/// The package's managed wrapper is not used: it lacks reserve, thread counts and filtered search.
/// <para>
/// Every function takes a trailing <c>usearch_error_t*</c>: a pointer to a <c>char const*</c> that stays
/// null on success and is set to a static message (never freed by the caller) on failure.
/// Use <see cref="Check"/> after each call.
/// </para>
/// <para>
/// Concurrency: calls that do not pass a thread id (add, search) borrow a per-thread context from a pool sized
/// by <c>usearch_reserve</c> / <c>usearch_change_threads_*</c>. When the pool is empty the call does not wait;
/// it fails ("Reserve capacity ahead of searches!", seen with 8 threads on 1 context). Callers must keep
/// concurrent add/search calls at or below the reserved thread count.
/// </para>
/// </summary>
internal static unsafe partial class UsearchNative
{
    private const string Library = "usearch_c";

    [LibraryImport(Library)]
    public static partial byte* usearch_version();

    [LibraryImport(Library)]
    public static partial nint usearch_init(UsearchInitOptions* options, nint* error);

    // Takes the raw pointer: it is called from UsearchHandle.ReleaseHandle.
    [LibraryImport(Library)]
    public static partial void usearch_free(nint index, nint* error);

    [LibraryImport(Library)]
    public static partial nuint usearch_memory_usage(UsearchHandle index, nint* error);

    [LibraryImport(Library)]
    public static partial byte* usearch_hardware_acceleration(UsearchHandle index, nint* error);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void usearch_save(UsearchHandle index, string path, nint* error);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void usearch_load(UsearchHandle index, string path, nint* error);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void usearch_view(UsearchHandle index, string path, nint* error);

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    public static partial void usearch_metadata(string path, UsearchInitOptions* options, nint* error);

    [LibraryImport(Library)]
    public static partial nuint usearch_size(UsearchHandle index, nint* error);

    [LibraryImport(Library)]
    public static partial nuint usearch_dimensions(UsearchHandle index, nint* error);

    [LibraryImport(Library)]
    public static partial nuint usearch_connectivity(UsearchHandle index, nint* error);

    /// <summary>Reserves capacity for <paramref name="capacity"/> vectors; required before concurrent adds.</summary>
    [LibraryImport(Library)]
    public static partial void usearch_reserve(UsearchHandle index, nuint capacity, nint* error);

    [LibraryImport(Library)]
    public static partial void usearch_change_expansion_search(UsearchHandle index, nuint expansion, nint* error);

    /// <summary>Sets the number of add thread contexts (2.26.6 reports a failed allocation through the error).</summary>
    [LibraryImport(Library)]
    public static partial void usearch_change_threads_add(UsearchHandle index, nuint threads, nint* error);

    /// <summary>Sets the number of search thread contexts (2.26.6 reports a failed allocation through the error).</summary>
    [LibraryImport(Library)]
    public static partial void usearch_change_threads_search(UsearchHandle index, nuint threads, nint* error);

    [LibraryImport(Library)]
    public static partial void usearch_add(UsearchHandle index, ulong key, void* vector, UsearchScalarKind kind,
        nint* error);

    [LibraryImport(Library)]
    [return: MarshalAs(UnmanagedType.U1)]
    public static partial bool usearch_contains(UsearchHandle index, ulong key, nint* error);

    /// <summary>Up to <paramref name="count"/> nearest keys, closest first; returns how many were found.</summary>
    [LibraryImport(Library)]
    public static partial nuint usearch_search(UsearchHandle index, void* query, UsearchScalarKind queryKind,
        nuint count, ulong* keys, float* distances, nint* error);

    /// <summary>
    /// As <see cref="usearch_search"/>, visiting only keys for which <paramref name="filter"/> returns non-zero.
    /// The callback runs synchronously on the calling thread and must not throw.
    /// </summary>
    [LibraryImport(Library)]
    public static partial nuint usearch_filtered_search(UsearchHandle index, void* query, UsearchScalarKind queryKind,
        nuint count, delegate* unmanaged<ulong, void*, int> filter, void* filterState, ulong* keys, float* distances,
        nint* error);

    /// <summary>Throws <see cref="InvalidOperationException"/> carrying the native message when <paramref name="error"/> is set.</summary>
    public static void Check(nint error, string operation)
    {
        if (error != 0)
        {
            string message = Marshal.PtrToStringUTF8(error) ?? "unknown error";
            throw new InvalidOperationException($"USearch {operation} failed: {message}");
        }
    }

    /// <summary>The native library's version, e.g. <c>2.26.6</c>.</summary>
    public static string Version() => Marshal.PtrToStringUTF8((nint)usearch_version()) ?? "";
}
