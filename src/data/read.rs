//! Lenient column readers for any frame (not only codefail's schemas): a
//! column by name, with an error that lists the frame's columns, read as
//! text, numbers or booleans whatever its dtype allows. Shared by `metrics`
//! and `plot`.

use polars::prelude::{BooleanChunked, Column, DataFrame, DataType};

use crate::error::{Error, Result};

/// The column `name`, or an error naming it and listing the frame's columns.
pub(crate) fn column<'a>(df: &'a DataFrame, name: &str) -> Result<&'a Column> {
    df.column(name).map_err(|_| {
        Error::column(
            name,
            format!("missing; the frame has {:?}", df.get_column_names()),
        )
    })
}

/// Every value of `name` as text (any dtype; null stays null).
pub(crate) fn texts(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let s = column(df, name)?
        .cast(&DataType::String)
        .map_err(|e| Error::column(name, format!("cannot be read as text: {e}")))?;
    let ca = s.str()?;
    Ok((0..ca.len())
        .map(|i| ca.get(i).map(str::to_string))
        .collect())
}

/// Every value of a numeric (or boolean: 0/1) column as f64.
pub(crate) fn numbers(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let c = column(df, name)?;
    if !(c.dtype().is_primitive_numeric() || c.dtype().is_bool()) {
        return Err(Error::column(
            name,
            format!("is not numeric ({})", c.dtype()),
        ));
    }
    let s = c
        .cast(&DataType::Float64)
        .map_err(|e| Error::column(name, format!("is not numeric: {e}")))?;
    let ca = s.f64()?;
    Ok((0..ca.len()).map(|i| ca.get(i)).collect())
}

/// A boolean column as polars' own array (cast from whatever dtype allows;
/// null stays null), for masks and kernels.
pub(crate) fn flag(df: &DataFrame, name: &str) -> Result<BooleanChunked> {
    let s = column(df, name)?
        .cast(&DataType::Boolean)
        .map_err(|e| Error::column(name, format!("is not boolean: {e}")))?;
    Ok(s.bool()?.clone())
}

/// Every value of a boolean column.
pub(crate) fn bools(df: &DataFrame, name: &str) -> Result<Vec<Option<bool>>> {
    let ca = flag(df, name)?;
    Ok((0..ca.len()).map(|i| ca.get(i)).collect())
}

/// Every value of a list column as `f64` lists (a null list reads empty).
pub(crate) fn float_lists(df: &DataFrame, name: &str) -> Result<Vec<Vec<f64>>> {
    let lc = column(df, name)?
        .list()
        .map_err(|e| Error::column(name, format!("is not a list column: {e}")))?
        .clone();
    (0..lc.len())
        .map(|i| match lc.get_as_series(i) {
            None => Ok(Vec::new()),
            Some(s) => Ok(s
                .cast(&DataType::Float64)
                .map_err(|e| Error::column(name, format!("is not numeric: {e}")))?
                .f64()?
                .into_no_null_iter()
                .collect()),
        })
        .collect()
}
