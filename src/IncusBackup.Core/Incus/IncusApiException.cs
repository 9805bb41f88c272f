using IncusBackup.Errors;

namespace IncusBackup.Incus;

/// <summary>An error envelope from the Incus API (or a failed operation), with the HTTP-like status code it carried.</summary>
public sealed class IncusApiException : IncusBackupException
{
    public IncusApiException(int statusCode, string message, string? errorId = null, ErrorKind? kind = null)
        : base(errorId ?? ErrorIds.IncusApiError, kind ?? KindFor(statusCode), message)
    {
        StatusCode = statusCode;
    }

    public int StatusCode { get; }

    public bool IsNotFound => StatusCode == 404;

    /// <summary>An operation the server accepted and then failed: a failed action, not a bad argument of ours.</summary>
    public static IncusApiException OperationFailed(string message) =>
        new(400, message, ErrorIds.IncusOperationFailed, ErrorKind.OperationFailed);

    private static ErrorKind KindFor(int status) => status switch
    {
        404 => ErrorKind.NotFound,
        403 => ErrorKind.PermissionDenied,
        409 => ErrorKind.ResourceExists,
        400 => ErrorKind.InvalidArgument,
        _ => ErrorKind.OperationFailed,
    };
}

/// <summary>The operation finished and was forgotten before we could read its result (docs/incus-api.md §0).</summary>
public sealed class IncusOperationLostException(string operation)
    : IncusBackupException(ErrorIds.IncusOperationFailed, ErrorKind.OperationFailed, $"Operation {operation} is no longer known to the server.");
