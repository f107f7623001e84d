using Karma.Serving.Model;
using Microsoft.Extensions.Options;

namespace Karma.Serving.Configuration;

/// <summary>
/// A <c>Karma:ModelPath</c> that names no directory can never serve (unless a Redis publication is configured to
/// provide the model): refused at start, naming the path and the fix, instead of a process that stays NOT_SERVING.
/// A directory that exists but holds a broken package is left to the loader, which reports it and keeps the
/// process up for an admin Reload.
/// </summary>
public sealed class ModelPathValidation : IValidateOptions<ServingOptions>
{
    /// <inheritdoc />
    public ValidateOptionsResult Validate(string? name, ServingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!string.IsNullOrWhiteSpace(options.PackageRedis))
        {
            return ValidateOptionsResult.Success;
        }

        if (string.IsNullOrWhiteSpace(options.ModelPath))
        {
            return ValidateOptionsResult.Fail("Karma:ModelPath is empty: set Karma__ModelPath to a model package directory (e.g. models/default)");
        }

        string resolved = ModelHost.ResolvePackagePath(options.ModelPath);
        return Directory.Exists(resolved)
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail($"Karma:ModelPath '{options.ModelPath}' is not a directory (looked for {resolved}, and upwards from the " +
                "working directory for a relative path): set Karma__ModelPath to a model package, e.g. models/default, or Karma__PackageRedis to follow publications");
    }
}
