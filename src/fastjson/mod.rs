//! JSON the way fastjson 1.2.69 reads and writes it.
