using System.Management.Automation;
using IncusBackup.Errors;

namespace IncusBackup.PowerShell.Infrastructure;

/// <summary>Maps engine exceptions onto ErrorRecords: the engine's ErrorId, a category, the target, and how to fix it.</summary>
internal static class ErrorRecordFactory
{
    public static ErrorRecord From(Exception e, object? target = null)
    {
        if (e is AggregateException { InnerExceptions.Count: 1 } aggregate) e = aggregate.InnerException!;
        if (e is IncusBackupException known)
        {
            var record = new ErrorRecord(known, known.ErrorId, Category(known.Kind), target ?? known.Target);
            if (known.RecommendedAction is not null)
                record.ErrorDetails = new ErrorDetails(known.Message) { RecommendedAction = known.RecommendedAction };
            return record;
        }
        return e switch
        {
            OperationCanceledException => new ErrorRecord(e, ErrorIds.Stopped, ErrorCategory.OperationStopped, target),
            UnauthorizedAccessException => new ErrorRecord(e, ErrorIds.TargetNotWritable, ErrorCategory.PermissionDenied, target),
            // The engine names its own read and write failures; an I/O error that reaches here could be either.
            IOException => new ErrorRecord(e, ErrorIds.IOFailed, ErrorCategory.NotSpecified, target),
            _ => new ErrorRecord(e, ErrorIds.BackupFailed, ErrorCategory.NotSpecified, target),
        };
    }

    private static ErrorCategory Category(ErrorKind kind) => kind switch
    {
        ErrorKind.NotFound => ErrorCategory.ObjectNotFound,
        ErrorKind.InvalidArgument => ErrorCategory.InvalidArgument,
        ErrorKind.InvalidData => ErrorCategory.InvalidData,
        ErrorKind.ConnectionError => ErrorCategory.ConnectionError,
        ErrorKind.PermissionDenied => ErrorCategory.PermissionDenied,
        ErrorKind.ResourceUnavailable => ErrorCategory.ResourceUnavailable,
        ErrorKind.ResourceExists => ErrorCategory.ResourceExists,
        ErrorKind.ReadError => ErrorCategory.ReadError,
        ErrorKind.WriteError => ErrorCategory.WriteError,
        ErrorKind.OperationStopped => ErrorCategory.OperationStopped,
        _ => ErrorCategory.InvalidOperation,
    };
}
