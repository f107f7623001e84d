using Karma.Serving.Core.Model;
using Microsoft.Extensions.Logging.Abstractions;

namespace Karma.Serving.Core.Tests;

/// <summary>The shipped models/default, loaded once for the tests that only read it.</summary>
public sealed class DefaultPackage : IDisposable
{
    public DefaultPackage() => Package = ModelPackage.Load(Path, InferenceDevice.Auto, NullLogger.Instance);

    public ModelPackage Package { get; }

    public static string Path => RepositoryPaths.DefaultModel;

    public void Dispose() => Package.Dispose();
}
